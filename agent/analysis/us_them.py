"""Us/them language about another group ("zij daarboven", "management never listens").

The method asks people to say "wij" rather than "zij" and to watch how they speak about
other departments. This module finds the places where a speaker sets another group apart:

* *distancing* phrases that do so on their own ("zij daarboven", "them upstairs",
  "die lui", "ivory tower");
* a *group* (a department, a governing body, one of this meeting's parties, or
  "zij van X" / "the people in X") that is the subject of a *generalisation*
  ("altijd", "never") or a *dismissive* claim ("snappen niet", "don't listen");
* "zij"/"they" set against "wij"/"us" with such a cue ("ze luisteren nooit naar ons");
* the speaker's own side shut out ("wij worden nooit gevraagd", "the medical side is
  never asked") or knowing better ("I know my school; the trust office doesn't");
* the people another party speaks for ("de specialisten" when the medical staff sit at
  the table) with a dismissive claim ("denken altijd dat", "doen alsof").

A plain "wij" about one's own group, and neutral talk about a group ("the board
presented the figures", "zij hebben een punt"), are not flagged. The phrases live in
``prompts/lexicons/us_them.yaml``; this module holds only the logic. The result is a
signal for the facilitator, never a judgement of a person.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from agent.analysis.language import normalise_language
from agent.analysis.text import fold, normalize_ws
from agent.prompts import load_yaml

_WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")
# Sentence-ish units: "." "!" "?" ";" and line breaks end one. Abbreviations may split
# a sentence in two; that only narrows the window in which cues are paired.
_UNIT = re.compile(r"[^.!?;\n]+[.!?;]*")

# How many words may sit between a group and the cue that says something about it.
_AFTER_GENERALISER = 5
_AFTER_CRITICAL = 8
_BEFORE_CUE = 3
_PRONOUN_WINDOW = 6
# "bij de directie weten ze ...": at most this many words between the group and "ze".
_LOCATED_THEY = 2
# Words after "altijd"/"always" that are checked for praise.
_PRAISE_WINDOW = 3
_FIRST_PERSON = frozenset({"ik", "i"})
# Words before a passive exclusion ("wordt nooit gevraagd") that may hold its subject.
_SUBJECT_WORDS = 4
# Words that may open an elliptical clause ("... , maar het bestuur niet").
_CONJUNCTIONS = frozenset({"maar", "en", "but", "and", "terwijl", "whereas", "while"})
_ARTICLES = frozenset({"de", "het", "die", "the", "those"})


@dataclass(frozen=True)
class Span:
    """A stretch of the original text: ``text == original[start:end]``.

    ``kind`` says what was found, e.g. ``"distancing"``, ``"generalisation"``,
    ``"dismissive"``, ``"they_vs_us"`` (us/them) or ``"proposal"`` (solution talk).
    """

    start: int
    end: int
    text: str
    kind: str


@dataclass(frozen=True)
class FoldedText:
    """Folded text (lower case, no accents) with a map back to the original offsets.

    Folding can change the length of a string (a decomposed accent disappears), so
    matches on the folded text are mapped back through ``to_orig``.
    """

    original: str
    folded: str
    to_orig: tuple[int, ...]  # len(folded) + 1 entries; the last is len(original)
    from_orig: tuple[int, ...]  # len(original) + 1 entries

    def span(self, start: int, end: int, kind: str) -> Span:
        """Build a :class:`Span` over the original text from folded offsets."""
        o_start, o_end = self.to_orig[start], self.to_orig[end]
        # Trim whitespace and trailing punctuation so the span reads cleanly.
        while o_end > o_start and self.original[o_end - 1] in " \t\n,;:":
            o_end -= 1
        return Span(o_start, o_end, self.original[o_start:o_end], kind)


def fold_with_offsets(text: str) -> FoldedText:
    """Fold ``text`` like :func:`agent.analysis.text.fold`, keeping the offset map."""
    out: list[str] = []
    to_orig: list[int] = []
    from_orig: list[int] = []
    for i, ch in enumerate(text):
        from_orig.append(len(out))
        piece = unicodedata.normalize("NFKD", ch.lower())
        piece = "".join(c for c in piece if not unicodedata.combining(c)).replace("’", "'")
        for c in piece:
            out.append(c)
            to_orig.append(i)
    to_orig.append(len(text))
    from_orig.append(len(out))
    return FoldedText(text, "".join(out), tuple(to_orig), tuple(from_orig))


def units(folded: str) -> list[tuple[int, int]]:
    """Offsets of the sentence-like units of a folded text."""
    return [(m.start(), m.end()) for m in _UNIT.finditer(folded) if m.group().strip()]


def bounded(fragments: Iterable[str]) -> re.Pattern[str]:
    """One regex for a list of fragments, each required to start and end on a word edge."""
    alts = "|".join(f"(?:{f})" for f in fragments)
    return re.compile(rf"(?<![\w&])(?:{alts})(?![\w&])")


def _word_count(text: str) -> int:
    return len(_WORD.findall(text))


@dataclass(frozen=True)
class _Lexicon:
    distancing: re.Pattern[str]
    leads: re.Pattern[str]
    nouns: re.Pattern[str]
    generalisers: re.Pattern[str]
    generaliser_exceptions: re.Pattern[str]
    negative_generalisers: re.Pattern[str]
    positive: re.Pattern[str]
    we_burden: re.Pattern[str]
    critical: re.Pattern[str]
    they: re.Pattern[str]
    we: re.Pattern[str]
    own_before: re.Pattern[str]
    preposition_before: re.Pattern[str]
    excluded: re.Pattern[str]
    own_side: re.Pattern[str]
    knowing: re.Pattern[str]
    ellipsis_negation: re.Pattern[str]


@functools.cache
def _lexicon(language: str) -> _Lexicon:
    data = cast(dict[str, Any], load_yaml("lexicons/us_them.yaml"))[language]
    return _Lexicon(
        distancing=bounded(data["distancing"]),
        leads=bounded(data["group_leads"]),
        nouns=bounded(data["group_nouns"]),
        generalisers=bounded(data["generalisers"]),
        generaliser_exceptions=bounded(data["generaliser_exceptions"]),
        negative_generalisers=bounded(data["negative_generalisers"]),
        positive=bounded(data["positive"]),
        we_burden=bounded(data["we_burden"]),
        critical=bounded(data["critical"]),
        they=bounded(data["they"]),
        we=bounded(data["we"]),
        own_before=re.compile("(?:" + "|".join(data["own_group_before"]) + r")$"),
        preposition_before=re.compile(
            r"(?<!\w)(?:" + "|".join(data["prepositions"]) + r") (?:(?:de|het|die|the) )?$"
        ),
        excluded=bounded(data["excluded"]),
        own_side=bounded(data["own_side"]),
        knowing=bounded(data["knowing"]),
        ellipsis_negation=re.compile(
            r"(?:" + "|".join(re.escape(n) for n in data["ellipsis_negation"]) + r")\W*"
        ),
    )


@functools.cache
def _acronyms() -> dict[str, list[str]]:
    data = cast(dict[str, Any], load_yaml("lexicons/us_them.yaml"))
    return {str(k): [str(a) for a in v] for k, v in data.get("acronyms", {}).items()}


def party_patterns(
    party_names: Sequence[str],
) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """Regexes for this meeting's parties: (folded full names, case-sensitive acronyms).

    Acronyms come from the lexicon ("Ondernemingsraad" -> "OR") or from the capitals of a
    multi-word name ("Raad van Toezicht" -> "RvT"). They are matched case-sensitively
    because "OR" is not "or".
    """
    return _party_patterns(tuple(party_names))


@functools.cache
def _party_patterns(
    party_names: tuple[str, ...],
) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    names: set[str] = set()
    acronyms: set[str] = set()
    known = _acronyms()
    for raw in party_names:
        name = normalize_ws(raw)
        if not name:
            continue
        folded = fold(name)
        names.add(re.escape(folded))
        acronyms.update(known.get(folded, []))
        parts = name.split()
        if len(parts) >= 2 and sum(1 for p in parts if p[:1].isupper()) >= 2:
            acronyms.add("".join(p[0] for p in parts))
        elif len(parts) == 1 and name.isupper() and len(name) >= 2:
            acronyms.add(name)  # the party is itself called "OR" or "MR"
    name_re = bounded(sorted(names, key=len, reverse=True)) if names else None
    acro_re = (
        re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, sorted(acronyms))) + r")(?!\w)")
        if acronyms
        else None
    )
    return name_re, acro_re


@functools.cache
def _constituency_pattern(party_names: tuple[str, ...], language: str) -> re.Pattern[str] | None:
    """The colleagues these parties stand for, with an article ("de specialisten")."""
    # Imported here: topic imports this module for ``bounded``.
    from agent.analysis.topic import constituency_globs

    globs = constituency_globs(party_names, language)
    if not globs:
        return None
    alts = [
        " ".join(re.escape(part).replace(r"\*", r"[^\W_]*") for part in g.split())
        for g in sorted(globs, key=len, reverse=True)
    ]
    article = "(?:the|those)" if language == "en" else "(?:de|die)"
    return bounded([rf"{article} (?:{a})" for a in alts])


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    kind: str  # lead | noun | party | constituency | generaliser | critical


def _group_refs(
    ft: FoldedText,
    lo: int,
    hi: int,
    lex: _Lexicon,
    parties: Sequence[str],
    language: str,
) -> list[_Hit]:
    """Groups mentioned as a possible subject in folded[lo:hi] (own group excluded)."""
    sent = ft.folded[lo:hi]
    raw: list[_Hit] = [_Hit(m.start() + lo, m.end() + lo, "lead") for m in lex.leads.finditer(sent)]
    raw += [_Hit(m.start() + lo, m.end() + lo, "noun") for m in lex.nouns.finditer(sent)]
    people_re = _constituency_pattern(tuple(parties), language) if parties else None
    if people_re is not None:
        raw += [
            _Hit(m.start() + lo, m.end() + lo, "constituency") for m in people_re.finditer(sent)
        ]
    name_re, acro_re = party_patterns(parties)
    if name_re is not None:
        raw += [_Hit(m.start() + lo, m.end() + lo, "party") for m in name_re.finditer(sent)]
    if acro_re is not None:
        o_lo, o_hi = ft.to_orig[lo], ft.to_orig[hi]
        for m in acro_re.finditer(ft.original, o_lo, o_hi):
            raw.append(_Hit(ft.from_orig[m.start()], ft.from_orig[m.end()], "party"))
    refs: list[_Hit] = []
    for hit in sorted(raw, key=lambda h: (h.start, -h.end)):
        if refs and hit.start < refs[-1].end:
            continue  # inside a longer reference already taken
        before = ft.folded[lo : hit.start]
        if lex.own_before.search(before):
            continue  # "wij als OR", "onze directie": the speaker's own group
        # "voor de directie", "with the board": the group is not who acts or thinks,
        # unless a "they" follows that stands for it ("bij de directie weten ze niet").
        if hit.kind != "lead" and lex.preposition_before.search(before):
            after = ft.folded[hit.end : hi]
            they = lex.they.search(after)
            if they is None or _word_count(after[: they.start()]) > _LOCATED_THEY:
                continue
        refs.append(hit)
    return refs


def _cues(ft: FoldedText, lo: int, hi: int, lex: _Lexicon) -> list[_Hit]:
    sent = ft.folded[lo:hi]
    blocked = [(m.start(), m.end()) for m in lex.generaliser_exceptions.finditer(sent)]
    cues: list[_Hit] = []
    for m in lex.generalisers.finditer(sent):
        if any(s <= m.start() < e for s, e in blocked):
            continue
        # "heeft altijd goed meegedacht" is praise, not a generalisation about a group.
        following = " ".join(_WORD.findall(sent[m.end() :])[:_PRAISE_WINDOW])
        if not lex.negative_generalisers.fullmatch(m.group()) and lex.positive.search(following):
            continue
        cues.append(_Hit(m.start() + lo, m.end() + lo, "generaliser"))
    cues += [_Hit(m.start() + lo, m.end() + lo, "critical") for m in lex.critical.finditer(sent)]
    return cues


def _pair(ft: FoldedText, ref: _Hit, cue: _Hit, lex: _Lexicon) -> bool:
    """True when ``cue`` says something about ``ref`` (close by, no new subject between)."""
    if ref.kind == "constituency" and cue.kind != "critical":
        # "De artsen zijn altijd bereikbaar": a profession with "altijd" is often
        # praise or sympathy; only a dismissive claim sets the group apart.
        return False
    if cue.start >= ref.end:
        gap = ft.folded[ref.end : cue.start]
        limit = _AFTER_GENERALISER if cue.kind == "generaliser" else _AFTER_CRITICAL
    elif cue.end <= ref.start and cue.kind == "generaliser":
        # "nooit luistert de directie": a generaliser may come first. A dismissive verb
        # before the group has its own subject ("ik snap niet wat de RvT bedoelt"), and
        # so has "I never" ("I never understood the finance report").
        head = _WORD.findall(ft.folded[: cue.start])
        if head and (lex.we.fullmatch(head[-1]) or head[-1] in _FIRST_PERSON):
            return False
        gap = ft.folded[cue.end : ref.start]
        limit = _BEFORE_CUE
    elif cue.start <= ref.start and ref.end <= cue.end:
        # Inversion inside the cue: "waarom snapt de directie niet ...".
        gap = ft.folded[cue.start : cue.end]
        limit = _AFTER_CRITICAL
    else:
        return False
    if _word_count(gap) > limit:
        return False
    # "het bestuur gaf de cijfers, maar wij snappen ze niet": the cue is about "wij".
    return not (lex.we.search(gap) or any(w in _FIRST_PERSON for w in _WORD.findall(gap)))


def find_us_them(text: str, language: str, party_names: Sequence[str] = ()) -> list[Span]:
    """Find us/them language about another group in ``text``.

    ``language`` is the meeting's language ("nl" or "en"). ``party_names`` are the
    parties of this meeting, so that "de raad van toezicht wil altijd alleen ..." is
    recognised as being about a group. Returns non-overlapping spans in text order.
    """
    lang = normalise_language(language)
    lex = _lexicon(lang)
    ft = fold_with_offsets(text)
    found: list[tuple[int, int, str]] = []
    knew_better = False  # "ik ken ..." / "I know ..." in this or the previous sentence
    for lo, hi in units(ft.folded):
        sent = ft.folded[lo:hi]
        found += [
            (m.start() + lo, m.end() + lo, "distancing") for m in lex.distancing.finditer(sent)
        ]
        refs = _group_refs(ft, lo, hi, lex, party_names, lang)
        found += _excluded(ft, lo, hi, lex)
        # "I know my school; the trust office doesn't."
        knew_here = False
        for clause_lo, clause_hi in _clauses(ft.folded, lo, hi):
            if knew_better or knew_here:
                found += _ellipsis(ft, clause_lo, clause_hi, refs, lex)
            knew_here = knew_here or bool(lex.knowing.search(ft.folded[clause_lo:clause_hi]))
        knew_better = knew_here
        # "het hoofdkantoor bepaalt alles en wij mogen het uitvoeren": a group or "zij"
        # earlier in the sentence, set against the burden "we" carry.
        for burden in lex.we_burden.finditer(sent):
            b_start = burden.start() + lo
            theirs = [r.start for r in refs if r.end <= b_start]
            theirs += [m.start() + lo for m in lex.they.finditer(sent) if m.end() + lo <= b_start]
            if theirs:
                found.append((min(theirs), burden.end() + lo, "they_vs_us"))
        cues = _cues(ft, lo, hi, lex)
        if not cues:
            continue
        for ref in refs:
            for cue in cues:
                if _pair(ft, ref, cue, lex):
                    kind = "generalisation" if cue.kind == "generaliser" else "dismissive"
                    found.append((min(ref.start, cue.start), max(ref.end, cue.end), kind))
                    break
        # "ze luisteren nooit naar ons": they set against us, with a cue.
        if lex.we.search(sent):
            for m in lex.they.finditer(sent):
                start = m.start() + lo
                for cue in cues:
                    gap = ft.folded[m.end() + lo : cue.start]
                    if cue.start >= m.end() + lo and _word_count(gap) <= _PRONOUN_WINDOW:
                        found.append((start, cue.end, "they_vs_us"))
                        break
    return _merge(ft, found)


def _excluded(ft: FoldedText, lo: int, hi: int, lex: _Lexicon) -> list[tuple[int, int, str]]:
    """The speaker's own side shut out by an unnamed "them" ("wij worden nooit gevraagd")."""
    sent = ft.folded[lo:hi]
    out: list[tuple[int, int, str]] = []
    for m in lex.excluded.finditer(sent):
        head = sent[: m.start()]
        cut = max(head.rfind(","), head.rfind(":"), head.rfind(" - "))
        # The subject comes before the verb or, inverted, right after it ("worden we").
        subject = " ".join(_WORD.findall(head[cut + 1 :])[-_SUBJECT_WORDS:])
        inverted = _WORD.findall(m.group())[1:2]
        if lex.own_side.search(subject) or (inverted and lex.we.fullmatch(inverted[0])):
            start = lo + cut + 1
            while ft.folded[start].isspace():
                start += 1
            out.append((start, m.end() + lo, "they_vs_us"))
    return out


def _clauses(folded: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """Comma-separated clauses of folded[lo:hi]."""
    out: list[tuple[int, int]] = []
    start = lo
    for i in range(lo, hi):
        if folded[i] in ",:":
            out.append((start, i))
            start = i + 1
    out.append((start, hi))
    return out


def _ellipsis(
    ft: FoldedText, lo: int, hi: int, refs: Sequence[_Hit], lex: _Lexicon
) -> list[tuple[int, int, str]]:
    """A clause that is only a group (or "they") and a negation: "the trust office
    doesn't", "het bestuursbureau niet", right after the speaker said what they know."""
    subjects = [(r.start, r.end) for r in refs if lo <= r.start and r.end <= hi]
    subjects += [(m.start() + lo, m.end() + lo) for m in lex.they.finditer(ft.folded[lo:hi])]
    for start, end in subjects:
        before = _WORD.findall(ft.folded[lo:start])
        if len(before) > 2 or any(w not in _CONJUNCTIONS and w not in _ARTICLES for w in before):
            continue
        if lex.ellipsis_negation.fullmatch(ft.folded[end:hi].strip()):
            return [(start, hi, "they_vs_us")]
    return []


def _merge(ft: FoldedText, found: list[tuple[int, int, str]]) -> list[Span]:
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(found):
        if merged and start < merged[-1][1]:
            s0, e0, k0 = merged[-1]
            merged[-1] = (s0, max(e0, end), k0)
        else:
            merged.append((start, end, kind))
    return [ft.span(s, e, k) for s, e, k in merged]


def has_us_them(text: str, language: str, party_names: Sequence[str] = ()) -> bool:
    """True when :func:`find_us_them` finds anything."""
    return bool(find_us_them(text, language, party_names))
