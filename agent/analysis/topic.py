"""Step 1, "start small": does the topic suit one table, and is a party missing?

* :func:`judge_topic` decides whether a topic fits a joint meeting. Budget, strategy,
  change and course decisions do, unless the title and goal show a purely practical
  matter; operational topics do not, unless the title or goal clearly concern the
  organisation's direction. Markers and the explanations (Dutch and English) are in
  ``prompts/topic.yaml``.
* :func:`missing_parties` lists stakeholder groups that are not at the table: first the
  groups that positions and utterances mention (those said to be absent rank highest),
  then the groups that usually take part for this type of organisation. Groups, their
  names and the sector profiles are in ``prompts/stakeholders.yaml``. A group that a
  text says is absent ("de vakbond zit hier niet", "the remote staff aren't represented
  here") is named even when the lists do not know it.

Both are deterministic and offline; they advise the facilitator, who decides.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Literal, cast

from agent.analysis.language import normalise_language, stopwords
from agent.analysis.text import fold, normalize_ws, split_sentences, words
from agent.analysis.us_them import bounded, fold_with_offsets
from agent.prompts import load_yaml, render

MissingKind = Literal["mentioned", "usual"]

# How much a sector keyword weighs by where it is found: a party's name says most
# about the organisation, the topic and hint next, a passing mention in a text least.
_WEIGHT_PARTY = 3
_WEIGHT_HINT = 2
_WEIGHT_TEXT = 1
# A sector needs at least this much evidence before its usual stakeholders are listed.
_MIN_SECTOR_SCORE = 3
# A change marker followed within this many words by a practical matter ("introducing a
# new coffee machine") does not make the topic course-setting.
_CHANGE_OBJECT_WORDS = 4
# At most this many source ids are named in a reason.
_MAX_SOURCES_IN_REASON = 3
# A group read from an absence phrase ("de vakbond zit hier niet") has at most this
# many words ("remote staff", "phd candidates").
_MAX_GROUP_WORDS = 3
_TOKEN = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")
# Plural endings: a bare capitalised word is read as a group only when it looks plural
# ("Leaseholders aren't here"), not as a person ("Jan zit hier niet").
_PLURAL = re.compile(r"(?:s|en|i)$")


@dataclass(frozen=True)
class TopicJudgement:
    """Whether a topic suits a joint meeting, why (a sentence in the meeting's language),
    and the signals behind it (``kind:budget``, ``operational:rooster``, ...)."""

    suitable: bool
    reason: str
    signals: tuple[str, ...] = ()


@dataclass(frozen=True)
class MissingParty:
    """A stakeholder group that is not at the table.

    ``name`` is in the meeting's language and lower case where the language allows
    ("huurders", "nurses"). ``evidence`` holds the source ids that mention the group;
    it is empty for ``kind == "usual"``. ``absent_said`` is true when a text says the
    group is not there ("de huurders zitten hier niet"). ``group`` is the id in
    ``prompts/stakeholders.yaml``, or ``said:<name>`` for a group only known from such
    a sentence ("said:remote staff").
    """

    name: str
    reason: str
    evidence: tuple[str, ...] = ()
    kind: MissingKind = "mentioned"
    group: str = ""
    absent_said: bool = False
    mentions: int = 0


# ------------------------------------------------------------------------------- topic


@functools.cache
def _topic_data() -> dict[str, Any]:
    return cast(dict[str, Any], load_yaml("topic.yaml"))


@functools.cache
def _marker_pattern(language: str, key: str) -> re.Pattern[str]:
    markers = [fold(str(m)) for m in _topic_data()[language][key]]
    escaped = sorted((re.escape(m) for m in markers), key=len, reverse=True)
    if language == "nl":
        # Dutch compounds: "schoonmaakrooster" contains "rooster".
        return re.compile("|".join(escaped))
    return re.compile(r"(?<![a-z])(?:" + "|".join(escaped) + ")")


def _markers(text: str, language: str, key: str) -> list[str]:
    """Distinct markers of ``key`` found in ``text``, in order of appearance."""
    found: list[str] = []
    for m in _marker_pattern(language, key).finditer(fold(normalize_ws(text))):
        if m.group() not in found:
            found.append(m.group())
    return found


def _change_markers(text: str, language: str) -> list[str]:
    """Change markers in ``text``, except those that introduce a practical object:
    "introducing a new coffee machine" is still about a coffee machine."""
    folded = fold(normalize_ws(text))
    changes = list(_marker_pattern(language, "change_markers").finditer(folded))
    practical = [
        m
        for m in _marker_pattern(language, "operational_markers").finditer(folded)
        if not any(c.start() <= m.start() < c.end() for c in changes)
    ]
    found: list[str] = []
    for c in changes:
        following = folded[c.end() :]
        near = len(" ".join(following.split()[:_CHANGE_OBJECT_WORDS]))
        if any(c.end() <= m.start() <= c.end() + near + 1 for m in practical):
            continue
        if c.group() not in found:
            found.append(c.group())
    return found


def judge_topic(
    kind: str,
    title: str,
    goal: str,
    language: str,
    position_texts: Sequence[str] = (),
) -> TopicJudgement:
    """Judge whether a topic suits a joint meeting of all parties.

    ``kind`` is budget, strategy, change, course or operational. Title and goal decide;
    ``position_texts`` only add signals (``positions:course``, ``positions:operational``),
    because what participants write does not change what the meeting is about.
    """
    lang = normalise_language(language)
    data = _topic_data()
    texts = data[lang]
    reasons = texts["reasons"]
    kind = (kind or "").strip().lower()
    about = f"{title}\n{goal}"
    operational = _markers(about, lang, "operational_markers")
    course = _markers(about, lang, "course_markers")
    if kind in data["course_kinds"]:
        # "Introducing self-rostering" changes how people work: with a course kind,
        # a change marker outweighs the operational word inside it.
        course += [m for m in _change_markers(about, lang) if m not in course]
    signals = [f"kind:{kind or 'unknown'}"]
    signals += [f"operational:{m}" for m in operational]
    signals += [f"course:{m}" for m in course]
    joined = "\n".join(position_texts)
    if joined.strip():
        if _markers(joined, lang, "course_markers"):
            signals.append("positions:course")
        if _markers(joined, lang, "operational_markers"):
            signals.append("positions:operational")
    label = str(texts["kind_labels"].get(kind, kind))

    if kind in data["course_kinds"]:
        if operational and not course:
            reason = render(
                reasons["operational_kind_with_markers"],
                kind_label=label,
                markers=", ".join(operational),
            )
            return TopicJudgement(False, reason, tuple(signals))
        return TopicJudgement(True, str(reasons["suitable"][kind]), tuple(signals))
    if course:
        template = reasons["operational_but_course"] if kind == "operational" else None
        template = template or reasons["suitable"]["other"]
        return TopicJudgement(True, render(template, markers=", ".join(course)), tuple(signals))
    if operational:
        reason = render(reasons["operational_with_markers"], markers=", ".join(operational))
    else:
        reason = str(reasons["operational"])
    return TopicJudgement(False, reason, tuple(signals))


# ----------------------------------------------------------------------------- parties


@dataclass(frozen=True)
class _Group:
    id: str
    name: dict[str, str]
    usual_name: dict[str, str]
    body: bool
    mentions: tuple[tuple[str, ...], ...]
    covered_by: tuple[tuple[str, ...], ...]
    mentions_by_language: dict[str, tuple[str, ...]] = field(default_factory=dict)
    colleagues: bool = False


@dataclass(frozen=True)
class _Sector:
    id: str
    label: dict[str, str]
    keywords: tuple[tuple[str, ...], ...]
    usual: tuple[tuple[str, ...], ...]


def _globs(items: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(fold(str(i)).split()) for i in items)


@dataclass(frozen=True)
class _Absence:
    """How one language says that a group is not at the table (see stakeholders.yaml)."""

    subject: re.Pattern[str]
    objects: tuple[re.Pattern[str], ...]
    not_groups: frozenset[str]
    coordination: frozenset[str]
    openers: frozenset[str]
    determiners: frozenset[str]
    prepositions: frozenset[str]
    ends: frozenset[str]  # words that cannot be part of a group's name


# Words that join two groups ("de huisartsen en de ambulancedienst").
_COORDINATION = {"nl": frozenset({"en", "of"}), "en": frozenset({"and", "or"})}
_GROUP_SLOT = r"(?P<group>[^\W\d_][^,.;:!?]*?)"


@functools.cache
def _absence(language: str) -> _Absence:
    data = cast(dict[str, Any], load_yaml("stakeholders.yaml"))
    objects = [
        bounded([str(cue).replace("{group}", _GROUP_SLOT)])
        for cue in data["absent_object"][language]
    ]
    return _Absence(
        subject=bounded(data["absent_subject"][language]),
        objects=tuple(objects),
        not_groups=frozenset(fold(str(w)) for w in data["not_groups"][language]),
        coordination=_COORDINATION[language],
        openers=frozenset(fold(str(w)) for w in data["clause_openers"][language]),
        determiners=frozenset(fold(str(w)) for w in data["determiners"][language]),
        prepositions=frozenset(fold(str(w)) for w in data["prepositions"][language]),
        ends=frozenset(
            [fold(str(w)) for w in data["group_end"][language]]
            + list(stopwords(language))
            + [fold(str(w)) for w in data["prepositions"][language]]
        ),
    )


_Token = tuple[str, int, int]  # folded word, start, end


def _clause_start(folded: str, pos: int) -> int:
    """Where the clause holding ``pos`` starts: after the last break before it."""
    breaks = [folded.rfind(b, 0, pos) for b in ",;:()"] + [folded.rfind(" - ", 0, pos)]
    return max(breaks) + 1


def _clause_end(folded: str, pos: int) -> int:
    """Where the clause holding ``pos`` ends: at the first break after it."""
    ends = [i for i in (folded.find(b, pos) for b in ",;:().!?") if i >= 0]
    return min(ends, default=len(folded))


def _run(tokens: Sequence[_Token], j: int, lex: _Absence) -> list[_Token]:
    """The words of a group's name from ``tokens[j]`` on: up to the first function word."""
    out: list[_Token] = []
    for tok in tokens[j:]:
        if tok[0] in lex.ends or len(out) == _MAX_GROUP_WORDS:
            break
        out.append(tok)
    return out


def _subject_groups(tokens: Sequence[_Token], lex: _Absence) -> list[list[_Token]]:
    """Groups that are the subject of a clause ending in an absence cue: the last one
    introduced by a determiner (or opening the clause) that is not inside a prepositional
    phrase, with any group coordinated before it ("de huisartsen en de ambulancedienst")."""
    first = 0
    while first < len(tokens) and tokens[first][0] in lex.openers:
        first += 1
    starts: list[int] = []
    for j in range(first, len(tokens)):
        prev = tokens[j - 1][0] if j > 0 else ""
        if tokens[j][0] in lex.ends:
            continue
        if j == first or (
            prev in lex.determiners and not (j >= 2 and tokens[j - 2][0] in lex.prepositions)
        ):
            starts.append(j)
    if not starts:
        return []
    chain = [starts[-1]]
    for j in reversed(starts[:-1]):
        run = _run(tokens, j, lex)
        between = [t[0] for t in tokens[j + len(run) : chain[0]]]
        if (
            between
            and between[0] in lex.coordination
            and all(w in lex.determiners for w in between[1:])
        ):
            chain.insert(0, j)
        else:
            break
    return [r for j in chain if (r := _run(tokens, j, lex))]


def _object_groups(tokens: Sequence[_Token], lex: _Absence) -> list[list[_Token]]:
    """Groups named right after a cue: "niemand van de huurders", "zonder de RAV"."""
    out: list[list[_Token]] = []
    j = 0
    while j < len(tokens):
        while j < len(tokens) and (tokens[j][0] in lex.openers or tokens[j][0] in lex.determiners):
            j += 1
        run = _run(tokens, j, lex)
        if not run:
            break
        out.append(run)
        j += len(run)
        if j < len(tokens) and tokens[j][0] in lex.coordination:
            j += 1
            continue
        break
    return out


def _said_absent(sentence: str, language: str) -> list[str]:
    """Groups a sentence says are not at the table, as written ("remote staff",
    "PhD candidates", "RAV"), whether or not the stakeholder lists know them."""
    lex = _absence(language)
    ft = fold_with_offsets(sentence)
    folded = ft.folded
    tokens: list[_Token] = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(folded)]
    found: list[list[_Token]] = []
    for m in lex.subject.finditer(folded):
        lo = _clause_start(folded, m.start())
        found += _subject_groups([t for t in tokens if lo <= t[1] and t[2] <= m.start()], lex)
    for pattern in lex.objects:
        for m in pattern.finditer(folded):
            if "group" in pattern.groupindex and m.group("group") is not None:
                lo, hi = m.span("group")
            else:
                lo, hi = m.end(), _clause_end(folded, m.end())
            found += _object_groups([t for t in tokens if lo <= t[1] and t[2] <= hi], lex)
    names: list[str] = []
    for run in found:
        if run[-1][0] in lex.not_groups or any(w.isdigit() for w, _, _ in run):
            continue
        start, end = ft.to_orig[run[0][1]], ft.to_orig[run[-1][2]]
        name = normalize_ws(sentence[start:end])
        first = name.split()[0]
        if first[:1].isupper() and first[1:].islower():
            before = [t[0] for t in tokens if t[2] <= run[0][1]][-1:]
            named = not (before and before[0] in lex.determiners)
            if named and len(run) == 1 and (start > 0 or not _PLURAL.search(run[0][0])):
                continue  # "Jan zit hier niet": a person, not a group
            if start == 0:  # capitalised only because it opens the sentence
                name = name[0].lower() + name[1:]
        if name not in names:
            names.append(name)
    return names


@functools.cache
def _stakeholders() -> tuple[dict[str, _Group], dict[str, _Sector], dict[str, re.Pattern[str]]]:
    data = cast(dict[str, Any], load_yaml("stakeholders.yaml"))
    groups: dict[str, _Group] = {}
    for gid, g in data["groups"].items():
        mentions = [m for lang in ("nl", "en") for m in g["mentions"].get(lang, [])]
        groups[gid] = _Group(
            id=gid,
            name={k: str(v) for k, v in g["name"].items()},
            usual_name={k: str(v) for k, v in g.get("usual_name", g["name"]).items()},
            body=bool(g.get("body", False)),
            mentions=_globs(mentions),
            covered_by=_globs(g["covered_by"]),
            mentions_by_language={
                lang: tuple(fold(str(m)) for m in ms) for lang, ms in g["mentions"].items()
            },
            colleagues=bool(g.get("colleagues", False)),
        )
    sectors = {
        sid: _Sector(
            id=sid,
            label={k: str(v) for k, v in s["label"].items()},
            keywords=_globs(s["keywords"]),
            usual=tuple(tuple(str(g) for g in seat) for seat in s["usual"]),
        )
        for sid, s in data["sectors"].items()
    }
    absent = {lang: bounded(cues) for lang, cues in data["absent_cues"].items()}
    return groups, sectors, absent


def _count(tokens: Sequence[str], patterns: Iterable[tuple[str, ...]]) -> int:
    """How many times any of the glob ``patterns`` matches at a position of ``tokens``."""
    hits = 0
    pats = tuple(patterns)
    for i in range(len(tokens)):
        for pat in pats:
            if i + len(pat) <= len(tokens) and all(
                fnmatchcase(tokens[i + j], p) for j, p in enumerate(pat)
            ):
                hits += 1
                break
    return hits


def _matches_at(
    tokens: Sequence[str], i: int, patterns: Iterable[tuple[str, ...]]
) -> tuple[int, int]:
    """(specificity, length) of the most specific pattern matching at ``tokens[i]``:
    specificity counts the letters a pattern spells out; (0, 0) when none matches."""
    best = (0, 0)
    for pat in patterns:
        if i + len(pat) <= len(tokens) and all(
            fnmatchcase(tokens[i + j], p) for j, p in enumerate(pat)
        ):
            best = max(best, (sum(len(p.replace("*", "")) for p in pat), len(pat)))
    return best


_HITS_CACHE: dict[tuple[int, tuple[str, ...]], dict[str, int]] = {}
_HITS_CACHE_MAX = 50_000


def _group_hits(tokens: Sequence[str], groups: dict[str, _Group]) -> dict[str, int]:
    """Mentions per group in ``tokens``, cached: the same positions are read again at
    every event of the start step, and glob matching every token is slow."""
    key = (id(groups), tuple(tokens))
    hit = _HITS_CACHE.get(key)
    if hit is None:
        if len(_HITS_CACHE) >= _HITS_CACHE_MAX:
            _HITS_CACHE.clear()
        hit = _HITS_CACHE[key] = _find_group_hits(tokens, groups)
    return dict(hit)


def _find_group_hits(tokens: Sequence[str], groups: dict[str, _Group]) -> dict[str, int]:
    """Mentions per group in ``tokens``. Where matches of several groups overlap, the most
    specific wins: "huisartsen" names the GPs, not doctors in general ("*artsen"), and
    "foster carers" the foster carers, not carers in general."""
    found: list[tuple[int, int, int, str]] = []  # specificity, start, end, group
    for gid, group in groups.items():
        for i in range(len(tokens)):
            spec, length = _matches_at(tokens, i, group.mentions)
            if spec:
                found.append((spec, i, i + length, gid))
    taken: list[tuple[int, int, int, str]] = []  # specificity, start, end, group
    for spec, start, end, gid in sorted(found, key=lambda f: (-f[0], f[1])):
        if not any(s > spec and start < e and b < end for s, b, e, _ in taken):
            taken.append((spec, start, end, gid))
    hits: dict[str, int] = {}  # in text order
    for _, _, _, gid in sorted(taken, key=lambda t: t[1]):
        hits[gid] = hits.get(gid, 0) + 1
    return hits


def _is_present(group: _Group, present_tokens: Sequence[list[str]]) -> bool:
    return any(_count(tokens, group.covered_by) for tokens in present_tokens)


def constituency_globs(party_names: Sequence[str], language: str) -> tuple[str, ...]:
    """How people speak of the colleagues these parties stand for, as word globs.

    "Medisch Specialistisch Bedrijf" stands for the doctors, so in Dutch "specialisten"
    and "artsen" refer to that party's people. Only groups marked ``colleagues`` in
    ``prompts/stakeholders.yaml`` count (professions inside the organisation, not the
    clients or pupils it serves). Globs use "*" for any run of letters.
    """
    lang = normalise_language(language)
    groups, _, _ = _stakeholders()
    tokens = [words(p) for p in party_names if p.strip()]
    out: list[str] = []
    for group in groups.values():
        if group.colleagues and _is_present(group, tokens):
            out += [m for m in group.mentions_by_language.get(lang, ()) if m not in out]
    return tuple(out)


def detect_sector(
    present: Sequence[str], texts: Sequence[tuple[str, str]], org_hint: str = ""
) -> str | None:
    """The most likely type of organisation (education, care, housing, municipality,
    company), from party names, the hint (e.g. topic title and goal) and the texts."""
    _, sectors, _ = _stakeholders()
    scores: dict[str, int] = {}
    for sid, sector in sectors.items():
        score = sum(_WEIGHT_PARTY * _count(words(p), sector.keywords) for p in present)
        score += _WEIGHT_HINT * _count(words(org_hint), sector.keywords)
        score += sum(_WEIGHT_TEXT * _count(words(t), sector.keywords) for _, t in texts)
        scores[sid] = score
    best = max(scores, key=lambda s: scores[s], default=None)
    if best is None or scores[best] < _MIN_SECTOR_SCORE:
        return None
    return best


@dataclass
class _Mention:
    sources: list[str] = field(default_factory=list)
    count: int = 0
    absent: bool = False
    first: int = 0


def _sources_text(sources: Sequence[str], sep: str) -> str:
    shown = list(sources[:_MAX_SOURCES_IN_REASON])
    if len(sources) > _MAX_SOURCES_IN_REASON:
        shown.append("…")
    return sep.join(shown)


def missing_parties(
    present: Sequence[str],
    texts: Sequence[tuple[str, str]],
    language: str,
    org_hint: str = "",
) -> list[MissingParty]:
    """Stakeholder groups that are not at the table, most pressing first.

    ``present`` are the names of the parties at the table; ``texts`` are
    ``(source_id, text)`` pairs from positions and utterances; ``org_hint`` is any extra
    text about the organisation or topic (e.g. the topic title and goal). Groups that a
    text says are absent come first (named as the text names them when the stakeholder
    lists do not know them), then other mentioned groups (most mentions first), then
    the usual stakeholders for the detected type of organisation.
    """
    lang = normalise_language(language)
    groups, sectors, absent_cues = _stakeholders()
    templates = _topic_data()[lang]["missing"]
    sep = str(templates["source_separator"])
    present_tokens = [words(p) for p in present if p.strip()]
    at_table = {gid for gid, g in groups.items() if _is_present(g, present_tokens)}

    mentioned: dict[str, _Mention] = {}
    # Groups the lists do not know, named in an absence phrase ("the remote staff
    # aren't represented here"): folded name -> (name as written, mention).
    said: dict[str, tuple[str, _Mention]] = {}
    order = 0

    def note(m: _Mention, source_id: str, hits: int, absent: bool) -> None:
        m.count += hits
        m.absent = m.absent or absent
        if source_id not in m.sources:
            m.sources.append(source_id)

    for source_id, text in texts:
        previous: list[str] = []  # groups of the previous sentence of this text
        for sentence in split_sentences(text):
            absent_here = any(cue.search(fold(sentence)) for cue in absent_cues.values())
            hits_here = {
                g: n for g, n in _group_hits(words(sentence), groups).items() if g not in at_table
            }
            here = list(hits_here)
            for gid, hits in hits_here.items():
                order += 1
                note(mentioned.setdefault(gid, _Mention(first=order)), source_id, hits, absent_here)
            if absent_here and not here:
                # "... de mantelzorgers en de vrijwilligers. Die zitten hier niet.": the
                # absence is said of the groups just named.
                for gid in previous:
                    mentioned[gid].absent = True
            previous = here
            for name in _said_absent(sentence, lang):
                hits_in_name = _group_hits(words(name), groups)
                known = [g for g in hits_in_name if g not in at_table]
                order += 1
                if known:
                    for gid in known:
                        note(mentioned.setdefault(gid, _Mention(first=order)), source_id, 0, True)
                elif not hits_in_name or len(name.split()) > 1:
                    # Unknown, or a part of a group at the table ("remote staff").
                    entry = said.setdefault(fold(name), (name, _Mention(first=order)))
                    note(entry[1], source_id, 1, True)

    ranked: list[tuple[_Mention, str, str, bool]] = [
        (m, gid, groups[gid].name[lang], groups[gid].body) for gid, m in mentioned.items()
    ]
    ranked += [(m, f"said:{key}", name, False) for key, (name, m) in said.items()]
    ranked.sort(key=lambda r: (not r[0].absent, -r[0].count, r[0].first))
    out: list[MissingParty] = []
    for m, gid, name, body in ranked:
        if gid.startswith("said:"):
            key = "said_absent"
        else:
            key = ("mentioned_absent" if m.absent else "mentioned") + ("_body" if body else "")
        reason = render(templates[key], name=name, sources=_sources_text(m.sources, sep))
        out.append(
            MissingParty(
                name=name,
                reason=reason,
                evidence=tuple(m.sources),
                kind="mentioned",
                group=gid,
                absent_said=m.absent,
                mentions=m.count,
            )
        )

    sector_id = detect_sector(present, texts, org_hint)
    if sector_id is not None:
        sector = sectors[sector_id]
        listed = {p.group for p in out}
        for seat in sector.usual:
            if any(g in at_table or g in listed for g in seat):
                continue
            # Name the alternative the texts use most ("leerlingen" at a school).
            gid = max(
                seat, key=lambda g: (mentioned[g].count if g in mentioned else 0, -seat.index(g))
            )
            group = groups[gid]
            name = group.usual_name[lang]
            key = "usual_body" if group.body else "usual"
            reason = render(templates[key], name=name, sector=sector.label[lang])
            out.append(MissingParty(name=name, reason=reason, kind="usual", group=gid))
            listed.add(gid)

    # Two groups can share a name in one language ("supervisory board"); keep the first.
    seen: set[str] = set()
    unique: list[MissingParty] = []
    for party in out:
        if party.name not in seen:
            seen.add(party.name)
            unique.append(party)
    return unique
