"""Automatic checks for values-probing questions (the scenario format's Questions metric).

A good question in the values step is a single, open question in the meeting's
language. It does not lead, does not smuggle in a solution, addresses a participant or
party of this meeting, and is grounded in that participant's own words: it quotes them
verbatim or paraphrases them (at least two shared content words after light stemming).

:func:`check_question` runs every check and returns the failure codes:

``not_single_question``, ``wrong_language``, ``closed``, ``leading``,
``contains_solution``, ``no_addressee``, ``not_grounded``.

The word lists are in ``prompts/lexicons/questions.yaml`` (question forms) and
``prompts/lexicons/stopwords.yaml`` (content words); the smaller checks are public so
that the question generator can use them while it composes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

from agent.analysis.language import detect_language, normalise_language, stopwords
from agent.analysis.solution_talk import detect_solution_talk
from agent.analysis.text import fold, normalize_ws, quote_in, split_sentences, words
from agent.analysis.us_them import bounded, party_patterns
from agent.prompts import load_yaml

NOT_SINGLE: Final = "not_single_question"
WRONG_LANGUAGE: Final = "wrong_language"
CLOSED: Final = "closed"
LEADING: Final = "leading"
CONTAINS_SOLUTION: Final = "contains_solution"
NO_ADDRESSEE: Final = "no_addressee"
NOT_GROUNDED: Final = "not_grounded"
FAILURE_CODES: Final = (
    NOT_SINGLE,
    WRONG_LANGUAGE,
    CLOSED,
    LEADING,
    CONTAINS_SOLUTION,
    NO_ADDRESSEE,
    NOT_GROUNDED,
)

# A question this short may carry no stop-word evidence at all ("Waarom, Anna?").
_SHORT_QUESTION_WORDS = 6
# Shared content words needed for a paraphrase.
_MIN_SHARED = 2
_MIN_STEM = 3

# Quoted stretches: double quotes of any style, and single quotes that open after a
# space or punctuation and close before one (so "z'n" and "don't" are not quotes).
_QUOTES = re.compile(
    r"[\"“„«]([^\"“”„«»]+)[\"”»]"
    r"|(?:(?<=^)|(?<=[\s(\[:;,]))['‘]([^'‘’\n]+?)['’](?=[\s.,;:!?)\]]|$)"
)
_CLAUSE_BREAK = re.compile(r"\s*(?:[,:;–—]|\s-\s)\s*")
_EDGE_PUNCT = ".,;:!?…()[]\"'“”‘’„«» "


@dataclass(frozen=True)
class QuestionCheck:
    """Outcome of :func:`check_question`: ``passed`` when ``failures`` is empty."""

    passed: bool
    failures: tuple[str, ...]
    detected_language: str | None = None
    quotes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Forms:
    open_starts: tuple[tuple[str, ...], ...]
    closed_starts: frozenset[str]
    polite_starts: tuple[tuple[str, ...], ...]
    polite_verbs: re.Pattern[str]
    fillers: frozenset[str]
    chained: re.Pattern[str]
    leading: re.Pattern[str]
    generic_stems: frozenset[str]


def _phrases(items: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    # Longest first, so "in hoeverre" is tried before a one-word start.
    return tuple(sorted((tuple(str(i).split()) for i in items), key=len, reverse=True))


@functools.cache
def _forms(language: str) -> _Forms:
    data = cast(dict[str, Any], load_yaml("lexicons/questions.yaml"))[language]
    return _Forms(
        open_starts=_phrases(data["open_starts"]),
        closed_starts=frozenset(str(w) for w in data["closed_starts"]),
        polite_starts=_phrases(data["polite_starts"]),
        polite_verbs=bounded(re.escape(str(v)) for v in data["polite_verbs"]),
        fillers=frozenset(str(w) for w in data["fillers"]),
        chained=re.compile("|".join(f"(?:{c})" for c in data["chained"])),
        leading=bounded(data["leading"]),
        generic_stems=frozenset(stem(str(w), language) for w in data["generic_words"]),
    )


@functools.cache
def _not_first_names() -> frozenset[str]:
    data = cast(dict[str, Any], load_yaml("lexicons/questions.yaml"))
    return frozenset(str(w) for w in data["not_first_names"])


# ---------------------------------------------------------------------------- stemming

_NL_SUFFIXES = ("ingen", "heden", "heid", "ende", "ste", "ing", "en", "s")
_EN_SUFFIXES = ("ies", "ing", "ed", "es", "s")


def stem(word: str, language: str) -> str:
    """A light suffix-stripping stem, enough to match "begeleiding" with "begeleiden".

    Not a full stemmer: it only needs to map inflections and simple derivations of the
    same word onto one key. ``word`` is folded first.
    """
    w = fold(word).replace("'", "")
    if normalise_language(language) == "nl":
        if w.endswith("dt") and len(w) > 4:
            w = w[:-1]  # "begeleidt" -> "begeleid"
        for suffix in _NL_SUFFIXES:
            if w.endswith(suffix) and len(w) - len(suffix) >= _MIN_STEM + (suffix == "ste"):
                w = w[: -len(suffix)]
                break
        if w.endswith("e") and len(w) > _MIN_STEM:
            w = w[:-1]  # "stages"/"stage" -> "stag", "goede" -> "goed"
        if len(w) > _MIN_STEM and w[-1] == w[-2] and w[-1] not in "aeiou":
            w = w[:-1]  # "zakk" -> "zak"
        return w
    for suffix in _EN_SUFFIXES:
        if not w.endswith(suffix) or len(w) - len(suffix) < _MIN_STEM:
            continue
        if suffix == "es" and not re.search(r"(?:s|x|z|ch|sh)es$", w):
            continue  # "cares" loses only the s
        if suffix == "s" and w.endswith("ss"):
            continue
        w = w[: -len(suffix)] + ("y" if suffix == "ies" else "")
        break
    if len(w) > _MIN_STEM and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]  # "cutt" -> "cut"
    if w.endswith("e") and len(w) > _MIN_STEM:
        w = w[:-1]  # "care"/"caring" -> "car"
    return w


def content_stems(text: str, language: str, exclude: Iterable[str] = ()) -> set[str]:
    """Stems of the content words of ``text``: stop words, generic words and ``exclude``
    (e.g. the addressee's name) removed. Stop words of both languages are removed,
    because meetings mix them."""
    lang = normalise_language(language)
    if not exclude:
        # Advice is recomputed after every utterance over the same texts: remember them.
        return set(_content_stems(text, lang))
    return set(_content_stems_of(text, lang, frozenset(fold(w) for w in exclude)))


_NAME_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def named_stems(sentence: str, language: str) -> set[str]:
    """Stems of words capitalised inside the sentence: names of places, people, homes.

    Two parties who both mention "Ashdown" share a place, not a concern; two turns that
    both name Tim share a person, not a view.
    """
    tokens = _NAME_WORD.findall(sentence)
    return {stem(t, language) for t in tokens[1:] if t[0].isupper() and not t.isupper()}


def closest_sentence(text: str, stems: set[str], language: str) -> str:
    """The sentence of ``text`` that shares most content words with ``stems`` (the first
    on a tie): the part of an utterance to quote next to another one."""
    sentences = split_sentences(text) or [text.strip()]
    overlap = [len(content_stems(x, language) & stems) for x in sentences]
    return sentences[overlap.index(max(overlap))]


@functools.lru_cache(maxsize=50_000)
def _content_stems(text: str, lang: str) -> frozenset[str]:
    return _content_stems_of(text, lang, frozenset())


@functools.cache
def _stop_both() -> frozenset[str]:
    return frozenset(stopwords("nl") | stopwords("en"))


def _content_stems_of(text: str, lang: str, skip: frozenset[str]) -> frozenset[str]:
    stop = _stop_both()
    generic = _forms(lang).generic_stems
    out: set[str] = set()
    for token in words(text):
        if token in stop or token in skip or len(token) < _MIN_STEM or token.isdigit():
            continue
        s = stem(token, lang)
        if len(s) >= _MIN_STEM and s not in generic:
            out.add(s)
    return frozenset(out)


# ------------------------------------------------------------------------------ quotes


def extract_quotes(text: str) -> list[str]:
    """Quoted stretches of ``text``, trimmed of edge punctuation and ellipses."""
    out = []
    for m in _QUOTES.finditer(text):
        q = (m.group(1) or m.group(2) or "").strip(_EDGE_PUNCT)
        if q:
            out.append(normalize_ws(q))
    return out


def strip_quotes(text: str) -> str:
    """``text`` with quoted stretches replaced by an ellipsis.

    The ellipsis is punctuation, not a word, so it cannot be mistaken for the first
    word of a question, and a quote that holds a full stop no longer splits sentences.
    """
    return _QUOTES.sub(" … ", text)


def quote_found(quote: str, sources: Iterable[str]) -> bool:
    """True when ``quote`` appears verbatim (whitespace-normalised) in one of ``sources``.

    Only the case of the first letter may differ, because a quote taken from the start
    of a sentence is often lower-cased inside a question.
    """
    variants = {quote, quote[:1].swapcase() + quote[1:]}
    return any(quote_in(v, s) for v in variants for s in sources)


# ------------------------------------------------------------------------------ checks


def is_single_question(text: str, language: str) -> bool:
    """Exactly one question: one '?' that ends the text, and no chained second question."""
    bare = normalize_ws(strip_quotes(text))
    if bare.count("?") != 1 or not bare.rstrip(_EDGE_PUNCT.replace("?", "")).endswith("?"):
        return False
    forms = _forms(normalise_language(language))
    return not forms.chained.search(fold(bare))


def _question_sentence(text: str) -> str:
    sentences = split_sentences(strip_quotes(text))
    for sentence in reversed(sentences):
        if "?" in sentence:
            return sentence
    return sentences[-1] if sentences else ""


def _starts_with(tokens: list[str], phrases: tuple[tuple[str, ...], ...]) -> bool:
    return any(tuple(tokens[: len(p)]) == p for p in phrases)


def question_form(text: str, language: str) -> str:
    """``"open"``, ``"polite"`` (an open request such as "Kun je vertellen ..."), or
    ``"closed"``. The first clause that opens like a question decides; a leading
    vocative ("Anna, ...") or condition ("Als je terugkijkt, ...") is skipped."""
    forms = _forms(normalise_language(language))
    sentence = fold(_question_sentence(text))
    for clause in _CLAUSE_BREAK.split(sentence):
        tokens = words(clause)
        while tokens and tokens[0] in forms.fillers:
            tokens = tokens[1:]
        if not tokens:
            continue
        if _starts_with(tokens, forms.polite_starts):
            if forms.polite_verbs.search(" ".join(tokens)):
                return "polite"
            return "closed"
        if _starts_with(tokens, forms.open_starts):
            return "open"
        if tokens[0] in forms.closed_starts:
            return "closed"
    # No question word anywhere: a statement with a question mark ("Je vindt dat
    # belangrijk?") asks for a yes or a no.
    return "closed"


def is_open_question(text: str, language: str) -> bool:
    """True when the question cannot be answered with yes or no."""
    return question_form(text, language) != "closed"


def is_leading_question(text: str, language: str) -> bool:
    """True when the question steers to an answer ("Vind je ook niet dat ...", "right?")."""
    bare = fold(normalize_ws(strip_quotes(text)))
    return bool(_forms(normalise_language(language)).leading.search(bare))


@functools.lru_cache(maxsize=5_000)
def contains_solution(text: str, language: str) -> bool:
    """True when the question itself puts a concrete action on the table.

    Quoted words are the participant's, not the question's, so they are left out.
    """
    return detect_solution_talk(strip_quotes(text), normalise_language(language)) is not None


def _name_variants(addressees: Sequence[str]) -> list[str]:
    """Names to look for: every addressee, plus the first name of a person's name."""
    skip = _not_first_names()
    out: list[str] = []
    for raw in addressees:
        name = normalize_ws(raw)
        if not name:
            continue
        out.append(name)
        parts = name.split()
        first = parts[0]
        if len(parts) >= 2 and first[:1].isupper() and len(first) >= 2 and fold(first) not in skip:
            out.append(first)
    return out


def addresses(text: str, addressees: Sequence[str]) -> bool:
    """True when one of ``addressees`` (participant or party names) occurs as whole words.

    Case does not matter, and a first name alone is enough ("Anna" for "Anna de Vries").
    Known short forms of bodies ("OR", "RvT") match case-sensitively.
    """
    variants = _name_variants(addressees)
    if not variants:
        return False
    name_re, acro_re = party_patterns(variants)
    folded = fold(text)
    return bool(
        (name_re is not None and name_re.search(folded))
        or (acro_re is not None and acro_re.search(text))
    )


def is_grounded(
    text: str,
    own_words: Sequence[str],
    language: str,
    exclude: Iterable[str] = (),
) -> bool:
    """True when the question quotes or paraphrases one of ``own_words``.

    Every quote must occur verbatim in one of the texts (a made-up quote fails the
    check even if the rest paraphrases well). Without quotes, the question must share at
    least two content-word stems with one text; ``exclude`` lists words that do not
    count, such as the addressee's name.
    """
    sources = [s for s in own_words if s and s.strip()]
    if not sources:
        return False
    quotes = extract_quotes(text)
    if quotes:
        return all(quote_found(q, sources) for q in quotes)
    question = content_stems(text, language, exclude)
    return any(len(question & content_stems(s, language)) >= _MIN_SHARED for s in sources)


def check_question(
    text: str,
    language: str,
    addressees: Sequence[str],
    own_words: Sequence[str],
) -> QuestionCheck:
    """Run every automatic check on one proposed question.

    ``language`` is the meeting's language, ``addressees`` the names the question may
    address (participant names, first names, party names), ``own_words`` the addressee's
    own utterances and positions. Returns the failure codes in a fixed order.
    """
    lang = normalise_language(language)
    failures: list[str] = []
    if not is_single_question(text, lang):
        failures.append(NOT_SINGLE)
    bare = strip_quotes(text)
    detected = detect_language(bare)
    if detected is None:
        if len(words(bare)) > _SHORT_QUESTION_WORDS:
            failures.append(WRONG_LANGUAGE)
    elif detected != lang:
        failures.append(WRONG_LANGUAGE)
    if not is_open_question(text, lang):
        failures.append(CLOSED)
    if is_leading_question(text, lang):
        failures.append(LEADING)
    if contains_solution(text, lang):
        failures.append(CONTAINS_SOLUTION)
    if not addresses(text, addressees):
        failures.append(NO_ADDRESSEE)
    name_words = [w for a in _name_variants(addressees) for w in words(a)]
    if not is_grounded(text, own_words, lang, exclude=name_words):
        failures.append(NOT_GROUNDED)
    return QuestionCheck(
        passed=not failures,
        failures=tuple(failures),
        detected_language=detected,
        quotes=tuple(extract_quotes(text)),
    )
