"""Polarity: does an utterance agree or disagree with what came before, and do two
statements say the same thing or opposite things?

This is the guard behind the product's most important promise: a disagreement is never
presented as an agreement. So every rule here leans the same way: when a turn mixes
agreement with a contrast ("ja, maar"), with sarcasm, or with an explicit disagreement,
it does not count as agreement.

All cue phrases and patterns live in ``prompts/lexicons/polarity.yaml`` (see the header
there for the pattern conventions); this module only holds the logic.

How a turn is read:

1. The text is folded (lower case, no accents, one space between words) with a map back
   to the original offsets, so every cue reports its span in the text as given.
2. Every pattern of the meeting's language runs, plus the *portable* patterns of the other
   language (unambiguous phrases such as "I agree" or "oneens" in a mixed meeting).
3. Overlapping agree/disagree/sarcasm cues are resolved longest first, so "niet mee eens"
   beats the "mee eens" inside it, and "niet oneens" beats the "oneens" inside it.
4. Negation words outside the surviving cues are counted as content negations.
5. The turn is split into sentences: an agree cue in a question ("Klopt dat?") does not
   agree, and a contrast takes an agreement back only in the agree cue's own sentence or
   when it opens a later one (see :func:`read_polarity`).
6. The stance follows from what is left.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from agent.analysis.text import fold, split_sentences, words
from agent.errors import CallerError, ConfigurationError
from agent.prompts import load_yaml

LEXICON_FILE = "lexicons/polarity.yaml"
LANGUAGES = ("nl", "en")

# Kinds the lexicon may use, per role.
_AGREE_KINDS = frozenset({"agree", "reference"})
_DISAGREE_KINDS = frozenset({"disagree", "negative_answer", "objection"})
# Turn-level objections ("nee", "no", "maar ...") that a later agreement takes back:
# "nee, precies", "no, I agree", "but you're right".
_SOFT_KINDS = frozenset({"negative_answer", "objection"})
_OBJECTION = frozenset({"objection"})
_POLAR_KINDS = _AGREE_KINDS | _DISAGREE_KINDS | {"sarcasm"}
# A contrast adverb or caveat ("echter", "however") takes an agreement back wherever it
# stands after it; a contrast conjunction ("maar", "but") only in the agreement's own
# sentence or when it opens a later sentence.
_CONTRAST_KINDS = frozenset({"contrast", "conjunction"})
_CUE_KINDS = _POLAR_KINDS | _CONTRAST_KINDS | {"negation", "tag", "question", "contradiction"}
# Kind given to a bare "no"/"nee" that confirms a negative prior ("we hebben niet genoeg" -
# "nee"). It moves from the disagree side to the agree side.
CONFIRM_KIND = "confirm"
# On an exact tie in span length the disagreeing reading wins: the safe error.
_TIE_ORDER = {
    "sarcasm": 0,
    "disagree": 1,
    "negative_answer": 2,
    "objection": 3,
    "agree": 4,
    "reference": 5,
}


class Stance(StrEnum):
    """How an utterance responds to what came before it.

    ``PARTIAL`` is a "ja, maar" / "yes, but" turn: it accepts what came before and takes
    part of it back, without a disagreement of its own ("yeah but they're easier for
    parsers"). It is never an agreement (``contrast`` is set), and it is not a flat
    rejection either: meeting annotators read most such turns as a partial accept.
    """

    AGREE = "agree"
    DISAGREE = "disagree"
    PARTIAL = "partial"
    NEUTRAL = "neutral"


@dataclass(frozen=True)
class Cue:
    """One matched cue: its kind and its span ``text[start:end]`` in the original text."""

    kind: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class PolarityReading:
    """The polarity of one utterance.

    ``stance`` is how the utterance responds to what came before. ``agree_cues`` and
    ``disagree_cues`` are the surviving cues (kinds ``agree``, ``reference``, ``confirm`` /
    ``disagree``, ``negative_answer``, ``objection``); a disagree cue can be present in an
    ``AGREE`` reading when a later agreement takes it back ("nee, precies"). ``contrast``
    is set when an agreement cue is followed by a contrast that takes it back ("ja,
    maar"); ``sarcasm`` when praise means the opposite. ``negations`` counts content
    negations outside the agree/disagree cues.
    """

    stance: Stance
    agree_cues: tuple[Cue, ...]
    disagree_cues: tuple[Cue, ...]
    contrast: bool
    sarcasm: bool
    negations: int


# --------------------------------------------------------------------------- lexicon


@dataclass(frozen=True)
class _Pattern:
    kind: str
    regex: re.Pattern[str]


@dataclass(frozen=True)
class _Lexicon:
    patterns: tuple[_Pattern, ...]
    filler: re.Pattern[str]
    lead: re.Pattern[str]
    clause: re.Pattern[str]
    prefixes: tuple[str, ...]
    choice: re.Pattern[str]
    function_words: frozenset[str]
    antonyms: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]
    order: tuple[re.Pattern[str], ...]
    scope: re.Pattern[str]
    normative: re.Pattern[str]
    passive: re.Pattern[str]
    negating: re.Pattern[str]
    affirmation: re.Pattern[str]
    open_topic: tuple[re.Pattern[str], ...]


def _compile(source: str, macros: Mapping[str, str], where: str) -> re.Pattern[str]:
    for name, value in macros.items():
        source = source.replace("{" + name + "}", value)
    try:
        return re.compile(source)
    except re.error as exc:
        raise ConfigurationError(f"prompts/{LEXICON_FILE}: bad pattern in {where}: {exc}") from exc


def _entries(section: Mapping[str, Any], kind: str) -> Iterable[tuple[str, bool]]:
    """Yield (pattern, portable) for one kind of one language section."""
    for entry in section.get(kind) or ():
        if isinstance(entry, str):
            yield entry, False
        elif isinstance(entry, Mapping) and isinstance(entry.get("re"), str):
            yield entry["re"], bool(entry.get("portable", False))
        else:
            raise ConfigurationError(f"prompts/{LEXICON_FILE}: bad entry under {kind}: {entry!r}")


@functools.cache
def _lexicon(language: str) -> _Lexicon:
    """Compile the patterns for ``language``: its own plus the other language's portable ones."""
    data = load_yaml(LEXICON_FILE)
    if not isinstance(data, Mapping) or any(lang not in data for lang in LANGUAGES):
        raise ConfigurationError(f"prompts/{LEXICON_FILE}: needs sections {LANGUAGES}")
    patterns: list[_Pattern] = []
    for lang in LANGUAGES:
        section = data[lang]
        macros = section.get("macros") or {}
        unknown = (
            set(section)
            - _CUE_KINDS
            - {
                "macros",
                "antonyms",
                "order",
                "filler",
                "lead",
                "clause",
                "prefixes",
                "choice",
                "function_words",
                "scope",
                "normative",
                "passive",
                "negating",
                "affirmation",
                "open_topic",
            }
        )
        if unknown:
            raise ConfigurationError(f"prompts/{LEXICON_FILE}: unknown kinds {sorted(unknown)}")
        for kind in sorted(_CUE_KINDS):
            for source, portable in _entries(section, kind):
                if lang == language or portable:
                    regex = _compile(source, macros, f"{lang}.{kind}")
                    patterns.append(_Pattern(kind, regex))
    own = data[language]
    own_macros = own.get("macros") or {}
    antonyms = tuple(
        (
            _compile(pair[0], own_macros, f"{language}.antonyms"),
            _compile(pair[1], own_macros, f"{language}.antonyms"),
        )
        for pair in own.get("antonyms") or ()
    )
    order = tuple(_compile(p, own_macros, f"{language}.order") for p in own.get("order") or ())
    open_topic = tuple(
        _compile(p, own_macros, f"{language}.open_topic") for p in own.get("open_topic") or ()
    )
    filler = _compile(str(own.get("filler") or "(?!)"), own_macros, f"{language}.filler")
    lead = _compile(str(own.get("lead") or "(?!)"), own_macros, f"{language}.lead")
    clause = _compile(str(own.get("clause") or "(?!)"), own_macros, f"{language}.clause")
    prefixes = tuple(fold(str(p)) for p in own.get("prefixes") or ())
    choice = _compile(str(own.get("choice") or "(?!)"), own_macros, f"{language}.choice")
    function_words = frozenset(fold(str(w)) for w in own.get("function_words") or ())
    scope = _compile(str(own.get("scope") or "(?!)"), own_macros, f"{language}.scope")
    normative = _compile(str(own.get("normative") or "(?!)"), own_macros, f"{language}.normative")
    passive = _compile(str(own.get("passive") or "(?!)"), own_macros, f"{language}.passive")
    negating = _compile(str(own.get("negating") or "(?!)"), own_macros, f"{language}.negating")
    affirmation = _compile(
        str(own.get("affirmation") or "(?!)"), own_macros, f"{language}.affirmation"
    )
    return _Lexicon(
        tuple(patterns),
        filler,
        lead,
        clause,
        prefixes,
        choice,
        function_words,
        antonyms,
        order,
        scope,
        normative,
        passive,
        negating,
        affirmation,
        open_topic,
    )


def _check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise CallerError(f"unsupported language {language!r}; expected one of {LANGUAGES}")
    return language


# --------------------------------------------------------------------------- matching


@functools.lru_cache(maxsize=4096)
def _fold_with_map(text: str) -> tuple[str, tuple[int, ...]]:
    """Fold ``text`` and collapse whitespace, keeping for every folded character the index
    of the original character it came from (plus a final entry for the end). Cached: one
    text is matched against many patterns, and same_polarity reads each text twice."""
    out: list[str] = []
    index: list[int] = []
    last_space = True  # drops leading whitespace
    for i, ch in enumerate(text):
        if ch.isspace():
            if not last_space:
                out.append(" ")
                index.append(i)
            last_space = True
            continue
        for folded in fold(ch):
            out.append(folded)
            index.append(i)
        last_space = False
    if out and out[-1] == " ":
        out.pop()
        index.pop()
    index.append(len(text))
    return "".join(out), tuple(index)


@functools.lru_cache(maxsize=4096)
def _find(text: str, language: str) -> tuple[Cue, ...]:
    """Every raw match of every pattern, as cues with spans in ``text``."""
    folded, index = _fold_with_map(text)
    found: list[Cue] = []
    seen: set[tuple[str, int, int]] = set()
    for pattern in _lexicon(language).patterns:
        for match in pattern.regex.finditer(folded):
            group = "cue" if "cue" in pattern.regex.groupindex and match.group("cue") else 0
            lo, hi = match.span(group)
            if hi <= lo:
                continue
            start, end = index[lo], index[hi - 1] + 1
            key = (pattern.kind, start, end)
            if key not in seen:
                seen.add(key)
                found.append(Cue(pattern.kind, start, end, text[start:end]))
    return tuple(found)


def _overlaps(a: Cue, b: Cue) -> bool:
    return a.start < b.end and b.start < a.end


def _resolve(cues: list[Cue]) -> list[Cue]:
    """Keep non-overlapping cues, longest first; ties go to the disagreeing side."""
    ranked = sorted(cues, key=lambda c: (-(c.end - c.start), _TIE_ORDER.get(c.kind, 9), c.start))
    kept: list[Cue] = []
    for cue in ranked:
        if not any(_overlaps(cue, k) for k in kept):
            kept.append(cue)
    return sorted(kept, key=lambda c: c.start)


# How far back from the end of a prior its negation may sit and still be what a bare
# "no" answers. Transcripts often have no punctuation, so the last "clause" is
# approximated by the last few words. Chosen on the ICSI train split.
PRIOR_WINDOW_WORDS = 5
_WORD_START = re.compile(r"(?:^| )(?=\S)")


def _negations(raw: Iterable[Cue], outside: list[Cue]) -> list[Cue]:
    """Negation matches outside the ``outside`` cues, one per word group ("no one")."""
    return _resolve(
        [c for c in raw if c.kind == "negation" and not any(_overlaps(c, k) for k in outside)]
    )


def _is_bare(text: str, cues: Iterable[Cue], language: str) -> bool:
    """True when ``text`` is nothing but ``cues`` and fillers ("uh no", "nee nee")."""
    rest = list(text)
    for cue in cues:
        rest[cue.start : cue.end] = " " * (cue.end - cue.start)
    filler = _lexicon(language).filler
    return all(filler.fullmatch(w) for w in words("".join(rest)))


def _bare_negative_answer(text: str, language: str) -> bool:
    """True when ``text`` is nothing but a negative answer and fillers ("no", "uh nee")."""
    polar = _resolve([c for c in _find(text, language) if c.kind in _POLAR_KINDS])
    return (
        bool(polar)
        and all(c.kind == "negative_answer" for c in polar)
        and _is_bare(text, polar, language)
    )


def _contradicts_bare_no(text: str, agree: list[Cue], prior: str, language: str) -> bool:
    """Is ``text`` a bare "yes"/"ja" to a bare "no"/"nee"? The one answers the other: "no" -
    "yes" is a contradiction, not an agreement. Only the plain affirmations of the
    lexicon's ``affirmation`` count; "yeah" or "okay" after a "no" as often acknowledges
    it, and after a negative *statement* a "yes" often agrees with it ("they're not
    mutually exclusive" - "yes")."""
    affirmation = _lexicon(language).affirmation
    return (
        bool(agree)
        and all(affirmation.fullmatch(_fold_with_map(c.text)[0]) for c in agree)
        and _is_bare(text, agree, language)
        and _bare_negative_answer(prior, language)
    )


# How many words may stand between a "no" and the negation that repeats it. Chosen on the
# ICSI train and val splits: annotators read "no, it isn't" after a negative statement as
# often as a disagreement as an agreement; "no, not yet" they read as agreement.
ECHO_WINDOW_WORDS = 0


def _echoes_negation(text: str, raw: list[Cue], answers: list[Cue], polar: list[Cue]) -> bool:
    """Does the turn go on from its first negative answer to negate again, right after it:
    "no, not yet", "no not at all", "nee, nog niet", "nee, helemaal niet"?"""
    first = min(answers, key=lambda c: c.start)
    negations = [n for n in _negations(raw, polar) if n.start >= first.end]
    if not negations:
        return False
    between = words(text[first.end : negations[0].start])
    return len(between) <= ECHO_WINDOW_WORDS


def _prior_is_negative(prior: str, language: str, *, questions: bool = False) -> bool:
    """True when ``prior`` ends in a negative statement, so that a bare "no"/"nee" in
    answer confirms it. Unless ``questions`` is set, questions don't count (there "no"
    answers the question, and annotators of meeting corpora read it as a disagreement).
    The negation of a tag question ("..., isn't it?") never counts."""
    sentences = split_sentences(prior)
    if not sentences:
        return False
    last = sentences[-1]
    raw = list(_find(last, language))
    if not questions and any(c.kind == "question" for c in raw):
        return False
    end = min((c.start for c in raw if c.kind == "tag"), default=len(last))
    starts = [m.start() for m in _WORD_START.finditer(last[:end])]
    begin = starts[-PRIOR_WINDOW_WORDS] if len(starts) >= PRIOR_WINDOW_WORDS else 0
    inside = [c for c in raw if c.start >= begin and c.end <= end]
    polar = _resolve([c for c in inside if c.kind in _POLAR_KINDS])
    # A disagreement or a negative answer is negative; an objection ("but ...", a trailing
    # "though") only concedes, it negates nothing.
    if any(c.kind in _DISAGREE_KINDS - _OBJECTION for c in polar):
        return True
    if any(c.kind in _AGREE_KINDS for c in polar):
        return False
    return any(c.kind == "negation" and not any(_overlaps(c, k) for k in polar) for c in inside)


# A sentence ends at . ! ? or … followed by white space. Unlike split_sentences, the next
# sentence need not start with a capital: live transcripts are not always capitalised.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)]*\s+(?=\S)")
# Titles and abbreviations whose full stop ends no sentence.
_ABBREVIATION = re.compile(
    r"(?:^|\s)(?:dr|mr|mrs|ms|mevr|dhr|drs|ir|prof|bijv|o\.a|e\.g|i\.e|etc|nr|vs|st)\.$",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=4096)
def _sentence_starts(text: str) -> tuple[int, ...]:
    """Offsets in ``text`` where a sentence starts; the first is 0."""
    starts = [0]
    for match in _SENTENCE_END.finditer(text):
        if not _ABBREVIATION.search(text[: match.start() + 1]):
            starts.append(match.end())
    return tuple(starts)


def _sentence_of(starts: tuple[int, ...], offset: int) -> int:
    return bisect.bisect_right(starts, offset) - 1


def _is_question(text: str, starts: tuple[int, ...], sentence: int) -> bool:
    end = starts[sentence + 1] if sentence + 1 < len(starts) else len(text)
    return text[starts[sentence] : end].rstrip().endswith("?")


def _opens_sentence(text: str, start: int, cue: Cue, language: str) -> bool:
    """True when only fillers (and a lead word: "en", "and") stand before ``cue`` in the
    sentence that begins at ``start``: "Eens. Maar ...", "Agreed. And yet ..."."""
    lexicon = _lexicon(language)
    return all(
        lexicon.filler.fullmatch(w) or lexicon.lead.fullmatch(w)
        for w in words(text[start : cue.start])
    )


def _takes_back(cue: Cue, text: str, language: str, agree: list[Cue], answering: list[Cue]) -> bool:
    """Does the contrast ``cue`` take an agreement back?

    Yes when it follows an agree cue in the same sentence ("ja, maar ...", "klopt, alleen
    ..."; ``agree`` includes cues inside a question, so "Ja, maar wat kost dat?" counts).
    After an agreement in an earlier sentence (``answering``: agree cues outside
    questions), a contrast adverb or caveat ("echter", "however", "kanttekening") takes it
    back wherever it stands, a conjunction ("Maar ...", "But ...") only when it opens its
    sentence; inside a later sentence a conjunction contrasts that sentence's own content
    ("Klopt. Dan is het geen taak, maar gewoon ons werk").
    """
    if any(_overlaps(cue, a) for a in agree):
        return False
    starts = _sentence_starts(text)
    sentence = _sentence_of(starts, cue.start)
    if any(a.start < cue.start and _sentence_of(starts, a.start) == sentence for a in agree):
        return True
    if not any(_sentence_of(starts, a.start) < sentence for a in answering):
        return False
    return cue.kind == "contrast" or _opens_sentence(text, starts[sentence], cue, language)


# --------------------------------------------------------------------------- public API


def read_polarity(text: str, language: str, *, prior: str | None = None) -> PolarityReading:
    """Read how ``text`` responds to what came before it.

    ``language`` is the meeting's language (``"nl"`` or ``"en"``); unambiguous cues of the
    other language are checked too. ``prior``, when given, is the utterance this one answers:
    a bare "nee"/"no" that confirms a negative prior ("we hebben niet genoeg tijd" - "nee")
    is then read as agreement (cue kind ``confirm``).

    The stance, in order of precedence:

    * sarcasm, or an explicit disagreement cue ("niet mee eens", "klopt niet", "I don't
      think that's"): ``DISAGREE``;
    * an agreement cue followed by a contrast that takes it back: in the same sentence
      ("ja, maar", "I agree, however"), or opening a later sentence ("Eens. Maar ..."),
      or a contrast adverb or caveat anywhere later ("However, ..."): ``PARTIAL``, or
      ``DISAGREE`` when the turn also answers with a negation ("nee, maar"). A condition
      ("Eens. Mits ...", "as long as") is no contrast;
    * with a negative ``prior``, an affirmation that contradicts it ("dat kan wel",
      "jawel", "yes it is"): ``DISAGREE``; so is a bare "yes"/"ja" to a bare "no"/"nee";
    * a negative answer ("nee", "no", "not really") or a turn that opens with a contrast
      ("maar ...", "but ..."): ``DISAGREE``, unless a later agreement cue takes it back
      ("nee, precies", "no, I agree", "but you're right"), or a bare "nee"/"no" confirms a
      negative ``prior``;
    * an agreement or reference cue outside a question ("Klopt dat?" asks): ``AGREE``;
    * otherwise ``NEUTRAL`` (content negations alone do not make a disagreement).
    """
    _check_language(language)
    raw = list(_find(text, language))
    contradictions = [c for c in raw if c.kind == "contradiction"]
    if contradictions and prior is not None and _prior_is_negative(prior, language, questions=True):
        # "Dat kan niet." - "Dat kan wel." / "It isn't ready?" - "Yes it is.": an
        # affirmation against a negative prior contradicts it.
        raw += [Cue("disagree", c.start, c.end, c.text) for c in contradictions]
    polar = _resolve([c for c in raw if c.kind in _POLAR_KINDS])
    sarcasm = any(c.kind == "sarcasm" for c in polar)
    explicit = [c for c in polar if c.kind == "disagree"]
    answers = [c for c in polar if c.kind in _SOFT_KINDS]
    # An agree cue inside a question asks, it does not agree ("Klopt dat?"); it still
    # counts for a contrast in its sentence ("Ja, maar wat kost dat dan?").
    stated = [c for c in polar if c.kind in _AGREE_KINDS]
    starts = _sentence_starts(text)
    agree = [c for c in stated if not _is_question(text, starts, _sentence_of(starts, c.start))]

    if (
        prior is not None
        and answers
        and all(c.kind == "negative_answer" for c in answers)
        and not explicit
        and not agree
        and (_is_bare(text, answers, language) or _echoes_negation(text, raw, answers, polar))
        and _prior_is_negative(prior, language)
    ):
        # A bare "nee"/"no" to a negative statement confirms it, and so does one that goes
        # on to repeat the negation ("no, not yet", "nee, nog niet"). Not any other: in
        # "no, it works fine" the rest of the turn may well contradict the statement.
        agree = [Cue(CONFIRM_KIND, c.start, c.end, c.text) for c in answers]
        answers = []
    if (
        prior is not None
        and not explicit
        and not answers
        and _contradicts_bare_no(text, agree, prior, language)
    ):
        explicit = [Cue("disagree", c.start, c.end, c.text) for c in agree]
        agree = []
    disagree = sorted(explicit + answers, key=lambda c: c.start)

    contrast = any(
        _takes_back(c, text, language, stated, agree) for c in raw if c.kind in _CONTRAST_KINDS
    )
    negations = len(_negations(raw, polar))

    if sarcasm or explicit:
        stance = Stance.DISAGREE
    elif contrast:
        # "Yes, but ...": accepted in part, never an agreement. With a negative answer of
        # its own ("nee, maar", "yeah no, but") it is a rejection.
        stance = Stance.DISAGREE if answers else Stance.PARTIAL
    elif answers:
        # "nee, precies" / "no, I agree" / "but you're right": a later agreement takes the
        # turn-level objection back.
        last_answer = max(c.start for c in answers)
        stance = Stance.AGREE if any(c.start > last_answer for c in agree) else Stance.DISAGREE
    elif agree:
        stance = Stance.AGREE
    else:
        stance = Stance.NEUTRAL
    return PolarityReading(
        stance=stance,
        agree_cues=tuple(agree),
        disagree_cues=tuple(disagree),
        contrast=contrast,
        sarcasm=sarcasm,
        negations=negations,
    )


# A subject that points back at what was just said: "daarover", "on that".
_PRONOUN_TOPICS = frozenset(
    {"dat", "dit", "daar", "die", "deze", "het", "hier", "er"}
    | {"that", "this", "it", "those", "these", "them", "there", "here"}
)


def disagreement_topic(text: str, language: str) -> str | None:
    """The subject of a turn that only reports an open difference ("Over Tiel zijn we het
    nog niet eens", "We don't agree on the budget yet"), or None.

    Such a turn names what is still open instead of rejecting what was just said, so it
    answers only a statement about that subject. None when any disagreement of the turn
    lies outside the report ("Nee. Over Tiel ..."), when the subject is a pronoun that
    points back ("daarover", "on that"), or when the turn is no disagreement at all.
    """
    _check_language(language)
    reading = read_polarity(text, language)
    if reading.stance != Stance.DISAGREE or reading.sarcasm or reading.contrast:
        return None
    folded, index = _fold_with_map(text)
    for pattern in _lexicon(language).open_topic:
        for match in pattern.finditer(folded):
            start, end = index[match.start()], index[match.end() - 1] + 1
            topic = match.group("topic").strip()
            if not topic or topic.split()[0] in _PRONOUN_TOPICS:
                continue
            if all(start <= c.start and c.end <= end for c in reading.disagree_cues):
                lo, hi = match.span("topic")
                return text[index[lo] : index[hi - 1] + 1]
    return None


def responds_in_agreement(text: str, language: str, *, prior: str | None = None) -> bool:
    """True only for a plain agreement: stance ``AGREE``, no contrast, no sarcasm."""
    reading = read_polarity(text, language, prior=prior)
    return reading.stance is Stance.AGREE and not reading.contrast and not reading.sarcasm


@functools.lru_cache(maxsize=16384)
def _spans(pattern: re.Pattern[str], text: str) -> tuple[tuple[int, int], ...]:
    """Spans of ``pattern`` in the original ``text`` (matched on its folded form)."""
    folded, index = _fold_with_map(text)
    return tuple(
        (index[m.start()], index[m.end() - 1] + 1)
        for m in pattern.finditer(folded)
        if m.end() > m.start()
    )


def _statement_flips(text: str, language: str) -> int:
    """How many times a statement negates itself; only the parity matters ("I don't
    think it is not worth it" is affirmative).

    Unlike a reply's ``negations``, this counts negations inside cues too ("not a bad
    thing" negates "a bad thing"), plus disagreement cues that carry no negation word of
    their own ("I disagree", "oneens"), sarcasm, and words with a negating prefix of their
    own ("anti-humans"). A disagreement cue built on an antonym ("I am against", "it is
    wrong") is left to the antonym pairs, so it is not counted twice.
    """
    raw = _find(text, language)
    polar = _resolve([c for c in raw if c.kind in _POLAR_KINDS])
    negations = _negations(raw, [])
    antonym_spans = [
        span for pair in _lexicon(language).antonyms for p in pair for span in _spans(p, text)
    ]

    def holds_negation(cue: Cue) -> bool:
        return any(_overlaps(cue, n) for n in negations)

    def holds_antonym(cue: Cue) -> bool:
        return any(cue.start < end and start < cue.end for start, end in antonym_spans)

    flips = len(negations) + len(_spans(_lexicon(language).negating, text))
    for cue in polar:
        if cue.kind == "sarcasm" or (
            cue.kind in {"disagree", "negative_answer"}
            and not holds_negation(cue)
            and not holds_antonym(cue)
        ):
            flips += 1
    return flips


def _span_overlap(x: tuple[int, int], y: tuple[int, int]) -> bool:
    return x[0] < y[1] and y[0] < x[1]


def _antonym_flips(a: str, b: str, language: str) -> int:
    """Antonym pairs where ``a`` says one side and ``b`` the other ("meer"/"minder")."""
    used_a: set[tuple[int, int]] = set()
    used_b: set[tuple[int, int]] = set()
    flips = 0
    for left, right in _lexicon(language).antonyms:
        for x, y in ((left, right), (right, left)):
            xa, ya = _spans(x, a), _spans(y, a)
            xb, yb = _spans(x, b), _spans(y, b)
            if not (xa and yb and not ya and not xb):
                continue
            # One word takes part in one flip only: "raise" may pair with "lower" or "cut",
            # and counting it twice would cancel the flip out.
            if any(_span_overlap(s, u) for s in xa for u in used_a) or any(
                _span_overlap(s, u) for s in yb for u in used_b
            ):
                continue
            used_a.update(xa)
            used_b.update(yb)
            flips += 1
    return flips


# A prefixed word flips only when the stem is at least this long ("fair"/"unfair").
_MIN_STEM = 4


def _prefix_flips(a: str, b: str, language: str) -> int:
    """Words that one statement has plain and the other with a negating prefix:
    "fair"/"unfair", "legal"/"illegal", "eerlijk"/"oneerlijk"."""
    prefixes = _lexicon(language).prefixes
    wa, wb = set(words(a)), set(words(b))
    flips = 0
    for plain, other in ((wa, wb), (wb, wa)):
        for word in plain - other:
            if len(word) >= _MIN_STEM and any(
                p + word in other and p + word not in plain for p in prefixes
            ):
                flips += 1
    return flips


# Two statements count as the same words rearranged when their multisets of content words
# (function words left out) differ by at most this many words (a typo, a synonym).
_SWAP_TOLERANCE = 2


def _content(text: str, language: str) -> list[str]:
    """The words of ``text`` without the lexicon's function words ("de", "the")."""
    function_words = _lexicon(language).function_words
    return [w for w in words(text) if w not in function_words]


@functools.lru_cache(maxsize=4096)
def _anchor_contexts(text: str, language: str) -> Counter[tuple[object, ...]]:
    """For every polar anchor (an order word, an antonym, a negation): which pattern it is
    and the first content word after it ("than [a] cat", "less money", "not museums").
    Only the word it governs: what comes later may move freely, as Dutch word order does
    ("Voor ons staat X voorop" / "X staat voor ons voorop")."""
    lexicon = _lexicon(language)
    tokens = words(text)
    folded = _fold_with_map(text)[0]
    patterns = list(lexicon.order) + [p for pair in lexicon.antonyms for p in pair]
    patterns += [p.regex for p in lexicon.patterns if p.kind == "negation"]
    contexts: Counter[tuple[object, ...]] = Counter()
    for number, pattern in enumerate(patterns):
        for match in pattern.finditer(folded):
            i = len(words(folded[: match.start()]))
            after = [w for w in tokens[i + 1 :] if w not in lexicon.function_words]
            contexts[(number, *after[:1])] += 1
    return contexts


def _order_swapped(a: str, b: str, language: str) -> bool:
    """The same words in a different order around a polar anchor: "a dog is better than a
    cat" / "a cat is better than a dog", "less on X and more on Y" / "more on X and less on
    Y". Alternatives that bring in new words ("more on schools" / "more on health care")
    are not swaps: neither negates the other."""
    wa, wb = words(a), words(b)
    if wa == wb:
        return False
    ka, kb = Counter(_content(a, language)), Counter(_content(b, language))
    if sum(((ka - kb) + (kb - ka)).values()) > _SWAP_TOLERANCE:
        return False
    ca, cb = Counter(wa), Counter(wb)
    # Something must have moved: with the differing words left out, the order differs.
    # ("voor docenten" / "voor ondersteuners" only replaced a word.)
    common = ca & cb

    def kept(tokens: list[str]) -> list[str]:
        left = Counter(common)
        out = []
        for w in tokens:
            if left[w] > 0:
                left[w] -= 1
                out.append(w)
        return out

    if kept(wa) == kept(wb):
        return False
    xa, xb = _anchor_contexts(a, language), _anchor_contexts(b, language)
    # The anchors themselves must be the same ("geen" vs "niet" is a paraphrase, not a
    # swap); only what follows them moved.
    anchors_a = Counter(k[0] for k in xa.elements())
    anchors_b = Counter(k[0] for k in xb.elements())
    return anchors_a == anchors_b and xa != xb


# Words are compared by their first letters, so that inflections and derivations meet
# ("government"/"governments", "remote"/"remotely", "child"/"children").
_KEY_LETTERS = 4


def _keys(text: str, language: str) -> set[str]:
    return {w[:_KEY_LETTERS] for w in _content(text, language)}


def _preference_reversed(a: str, b: str, language: str) -> bool:
    """Both statements rank the same two things around one order word ("than", "rather
    than", "before", "dan"), but the other way round: "give cash rather than fund services"
    / "fund services rather than give cash", "pay taxes to the state than to a charity" /
    "pay money to charity than taxes to the state". Unlike :func:`_order_swapped` the
    wording around the two sides may differ; what counts is that content moved across the
    order word in both directions."""
    fa, fb = _fold_with_map(a)[0], _fold_with_map(b)[0]
    for pattern in _lexicon(language).order:
        ma, mb = pattern.search(fa), pattern.search(fb)
        if ma is None or mb is None:
            continue
        left_a, right_a = _keys(fa[: ma.start()], language), _keys(fa[ma.end() :], language)
        left_b, right_b = _keys(fb[: mb.start()], language), _keys(fb[mb.end() :], language)
        if (left_a & right_b) - left_b and (right_a & left_b) - right_b:
            return True
    return False


# A shared choice frame must cover at least this share of the shorter statement, and at
# least _MIN_FRAME words, before different fillers count as competing positions.
_MIN_FRAME_SHARE = 0.5
_MIN_FRAME = 3
# Fillers whose content words overlap less than this (intersection over union) are
# different content: "give money as welfare" / "let citizens keep more of their earnings".
_MAX_FILL_OVERLAP = 0.25


def _competing(a: str, b: str, language: str) -> bool:
    """The same choice frame filled with different content: "we should spend more on
    schools" / "we should spend more on health care", "it is better to have a monarchy" /
    "... a republic", "the parks should be run by the government" / "... by a company".
    Such look-alikes are the classic trap for an agreement finder. Only frames with a
    comparative, a priority or a norm ("should", "moet") count: "te hoog voor docenten" /
    "te hoog voor ondersteuners" can both be true and stays an agreement candidate."""
    lexicon = _lexicon(language)
    wa, wb = words(a), words(b)
    prefix = 0
    while prefix < min(len(wa), len(wb)) and wa[prefix] == wb[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(wa), len(wb)) - prefix and wa[-1 - suffix] == wb[-1 - suffix]:
        suffix += 1
    shared = wa[:prefix] + wa[len(wa) - suffix :]
    if len(shared) < max(_MIN_FRAME, _MIN_FRAME_SHARE * min(len(wa), len(wb))):
        return False
    frame = " ".join(shared)
    if not (lexicon.choice.search(frame) or lexicon.normative.search(frame)):
        return False
    fill_a = set(wa[prefix : len(wa) - suffix]) - lexicon.function_words
    fill_b = set(wb[prefix : len(wb) - suffix]) - lexicon.function_words
    if not fill_a or not fill_b:
        return False
    return len(fill_a & fill_b) / len(fill_a | fill_b) < _MAX_FILL_OVERLAP


def _scope_changed(a: str, b: str, language: str) -> bool:
    """One statement quantifies or restricts what the other says plainly, or the other
    way: "every child" / "children", "all teachers" / "only the best teachers", "a
    minimum of 10%" / "what it wants", "alle scholen" / "alleen de grote scholen". Whether
    they then share a position is not for a word-level check to say, so it says no."""
    scope = _lexicon(language).scope
    fa, fb = _fold_with_map(a)[0], _fold_with_map(b)[0]
    return Counter(m.group(0) for m in scope.finditer(fa)) != Counter(
        m.group(0) for m in scope.finditer(fb)
    )


# The predicates after the norm must share at least this share of the smaller one's
# content words for two different agents to compete for the same task.
_MIN_PREDICATE_OVERLAP = 0.6


def _agents_differ(a: str, b: str, language: str) -> bool:
    """The same duty laid on different shoulders: "the government should pay for school"
    / "students should pay for school", "governments have a duty to act" / "it is the
    individual's responsibility to act", "de gemeente moet dit betalen" / "de scholen
    moeten dit betalen". Who should do it is the point of difference. A passive or a
    copula after the norm ("the budget must not be cut", "remote work should be the
    default") names no agent, so it is left out."""
    lexicon = _lexicon(language)
    fa, fb = _fold_with_map(a)[0], _fold_with_map(b)[0]
    ma, mb = lexicon.normative.search(fa), lexicon.normative.search(fb)
    if ma is None or mb is None:
        return False
    task_a, task_b = fa[ma.end() :], fb[mb.end() :]
    if lexicon.passive.search(task_a) or lexicon.passive.search(task_b):
        return False
    agent_a, agent_b = _keys(fa[: ma.start()], language), _keys(fb[: mb.start()], language)
    if not agent_a or not agent_b or agent_a & agent_b:
        return False
    keys_a, keys_b = _keys(task_a, language), _keys(task_b, language)
    if not keys_a or not keys_b:
        return False
    return len(keys_a & keys_b) / min(len(keys_a), len(keys_b)) >= _MIN_PREDICATE_OVERLAP


def _opposite(a: str, b: str, language: str, *, swaps: bool = True) -> bool:
    """Negation parity, antonyms and reversed order: does one statement negate the other?

    Two antonym pairs do not cancel out the way two negations do ("allowed to choose a
    private school" / "required to attend a public school" says the opposite twice over),
    so two or more antonym or prefix flips count as opposite whatever the parity. With
    ``swaps`` off, words that only moved around an anchor do not count (Dutch word order
    moves them freely: "Voor ons staat X voorop" / "X staat voor ons voorop"); a ranking
    turned round across "dan"/"than" still does."""
    flips = _antonym_flips(a, b, language) + _prefix_flips(a, b, language)
    parity = _statement_flips(a, language) + _statement_flips(b, language) + flips
    return (
        parity % 2 == 1
        or flips >= 2
        or (swaps and _order_swapped(a, b, language))
        or _preference_reversed(a, b, language)
    )


def _clauses(text: str, language: str) -> list[str]:
    pieces, last = [], 0
    for start, end in _spans(_lexicon(language).clause, text):
        pieces.append(text[last:start])
        last = end
    pieces.append(text[last:])
    return [p for p in (piece.strip() for piece in pieces) if words(p)]


def same_polarity(a: str, b: str, language: str) -> bool:
    """False when one statement negates what the other affirms.

    Compares negation parity ("X moet verplicht" / "X moet niet verplicht", "always" /
    "never", "eens" / "niet eens"), antonym pairs from the lexicon ("voor"/"tegen",
    "more"/"less", "verhogen"/"verlagen"), and the same things ranked the other way round
    ("A is better than B" / "B is better than A"). Competing positions also give False:
    the same choice or norm frame filled with different content ("spend more on schools"
    / "spend more on health care"), a quantifier or restriction that only one of them has
    ("every child" / "children", "only the best teachers"), and the same duty for
    different agents ("the state should pay" / "students should pay"). When both
    statements have the same number of clauses, each pair of clauses is compared too, so
    "not A and not B" is the opposite of "A and B". True does not mean the statements
    agree, only that no polarity conflict was found; anything unsure leans to False, the
    safe side.
    """
    _check_language(language)
    if (
        _opposite(a, b, language)
        or _competing(a, b, language)
        or _scope_changed(a, b, language)
        or _agents_differ(a, b, language)
    ):
        return False
    ca, cb = _clauses(a, language), _clauses(b, language)
    if len(ca) == len(cb) > 1:
        return not any(_opposite(x, y, language) for x, y in zip(ca, cb, strict=True))
    return True


def _without_cues(text: str, language: str) -> str:
    """``text`` with its response cues ("eens", "I agree", "nee", "maar ...") blanked out,
    so that only what it says about the matter is left. Offsets are kept."""
    chars = list(text)
    for cue in _resolve([c for c in _find(text, language) if c.kind in _POLAR_KINDS]):
        chars[cue.start : cue.end] = " " * (cue.end - cue.start)
    return "".join(chars)


def contradicts(reply: str, statement: str, language: str) -> bool:
    """Does ``reply``, apart from how it responds, say the opposite of ``statement``?

    The guard for a reply that carries an agreement cue: "Agreed, it is not a bad thing to
    ..." after "It is a bad thing to ...", or "Eens, de huur moet omlaag" after "De huur
    moet omhoog". The response cues of both texts are left out ("eens", "nee, precies");
    then each clause of the reply is compared with the clause of the statement it
    restates (the one it shares most content words with, at least two) on negation
    parity, antonyms and a ranking turned round, as in :func:`same_polarity`. Competing
    fillers and moved words are not compared: a reply that agrees explicitly may well
    add content of its own or say it in another order. A bare "eens" has no content to
    compare and never contradicts.
    """
    _check_language(language)
    targets = _pieces(_without_cues(statement, language), language)
    for clause in _pieces(_without_cues(reply, language), language):
        keys = _keys(clause, language)
        if not keys or not targets:
            continue
        # The clause of the statement that this one restates: the most shared words.
        # Comparing whole turns would let a negation elsewhere flip the parity ("... geen
        # misverstand", "begrijpen, niet besluiten" / "begrijpen, de besluiten later").
        shared, target = max(
            ((len(keys & _keys(t, language)), t) for t in targets), key=lambda st: st[0]
        )
        restated = shared >= _MIN_RESTATED and shared >= _RESTATED_SHARE * min(
            len(keys), len(_keys(target, language))
        )
        if restated and _opposite(clause, target, language, swaps=False):
            return True
    return False


# A reply's clause restates a clause of the statement when they share at least this many
# content words, and this share of the smaller clause's: "the PhD candidates should be at
# this table" does not restate "the PhD candidates aren't represented here".
_MIN_RESTATED = 2
_RESTATED_SHARE = 0.6


def _pieces(text: str, language: str) -> list[str]:
    """``text`` cut into sentences and those into clauses, for a clause-by-clause
    comparison."""
    starts = _sentence_starts(text)
    ends = [*starts[1:], len(text)]
    return [c for s, e in zip(starts, ends, strict=True) for c in _clauses(text[s:e], language)]


def has_contrast(text: str, language: str) -> bool:
    """True when ``text`` holds a contrast anywhere: a conjunction ("maar", "but",
    "alleen", "although") or a contrast adverb or caveat ("echter", "however")."""
    _check_language(language)
    return any(c.kind in _CONTRAST_KINDS for c in _find(text, language))
