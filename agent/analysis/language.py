"""Language detection for Dutch and English by stop-word evidence.

Meetings are in Dutch or English, and every check that asks "is this in the meeting's
language?" only has to tell those two apart. Function words are the most reliable
evidence for that on short texts, so we count the stop words that belong to exactly one
of the two lists in ``prompts/lexicons/stopwords.yaml``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import yaml

from agent.analysis.text import fold, words
from agent.prompts import load_text

Language = Literal["nl", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "en")

# Below this many distinctive function words a text says too little to decide.
_MIN_EVIDENCE = 2
# The winner needs clearly more evidence than the other language, because mixed
# utterances ("de business case is not ready") are common in Dutch meetings.
_MIN_RATIO = 1.5


@dataclass(frozen=True)
class LanguageEvidence:
    """Counts of language-specific stop words found in a text."""

    nl: int
    en: int
    tokens: int

    @property
    def total(self) -> int:
        """Distinctive stop words of either language."""
        return self.nl + self.en


@functools.cache
def stopwords(language: str) -> frozenset[str]:
    """All stop words (folded) for ``language``; an unknown language gives an empty set."""
    # Read every entry as a string: the plain YAML loader would turn "no", "on" and
    # "yes" into booleans, and those words would silently drop out of the list.
    data = yaml.load(load_text("lexicons/stopwords.yaml"), Loader=yaml.BaseLoader) or {}
    return frozenset(fold(str(w)) for w in data.get(language, []))


@functools.cache
def _distinctive(language: Language) -> frozenset[str]:
    """Stop words of ``language`` that the other language does not share."""
    other: Language = "en" if language == "nl" else "nl"
    return stopwords(language) - stopwords(other)


def language_evidence(text: str) -> LanguageEvidence:
    """Count the distinctive Dutch and English stop words in ``text``."""
    tokens = words(text)
    nl_words, en_words = _distinctive("nl"), _distinctive("en")
    return LanguageEvidence(
        nl=sum(1 for t in tokens if t in nl_words),
        en=sum(1 for t in tokens if t in en_words),
        tokens=len(tokens),
    )


def detect_language(text: str) -> Language | None:
    """Return ``"nl"`` or ``"en"``, or ``None`` when the text is too short or unclear.

    A language wins when it has at least two distinctive stop words and half again as
    many as the other language.
    """
    ev = language_evidence(text)
    best: Language = "nl" if ev.nl >= ev.en else "en"
    top, other = (ev.nl, ev.en) if best == "nl" else (ev.en, ev.nl)
    if top < _MIN_EVIDENCE or top < _MIN_RATIO * other:
        return None
    return best


def normalise_language(language: str) -> Language:
    """Map a language code to ``"nl"`` or ``"en"``; anything not Dutch is treated as English."""
    return "nl" if language.lower().startswith("nl") else "en"
