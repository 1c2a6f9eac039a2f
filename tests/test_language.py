"""Language detection by stop-word evidence."""

from __future__ import annotations

import pytest

from agent.analysis.language import detect_language, language_evidence, stopwords


@pytest.mark.parametrize(
    "text",
    [
        "Voor ons staat de werkdruk van docenten voorop.",
        "Wat betekent goede begeleiding voor jou?",
        "Zij van het bestuur denken altijd eerst aan geld en pas daarna aan mensen.",
        "Ik ben het niet eens met het idee dat er geen enkele bezuiniging mag komen.",
    ],
)
def test_dutch(text: str) -> None:
    assert detect_language(text) == "nl"


@pytest.mark.parametrize(
    "text",
    [
        "What matters to us is that patients feel safe at night.",
        "Sarah, what does the workload of the nurses mean to you?",
        "They made a good point about the budget.",
        "Why don't we just cut the travel budget?",
    ],
)
def test_english(text: str) -> None:
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", ["", "Ja.", "OK!", "Begroting 2027", "Anna?"])
def test_too_short_or_unclear_is_none(text: str) -> None:
    assert detect_language(text) is None


def test_mixed_text_without_a_clear_winner_is_none() -> None:
    # Equal evidence for both languages must not be forced into one.
    assert detect_language("de werkdruk and het budget, the issue") is None


def test_evidence_counts_only_distinctive_words() -> None:
    ev = language_evidence("we is in")  # shared by both lists
    assert ev.nl == 0 and ev.en == 0 and ev.tokens == 3


def test_stopword_lists_load_per_language() -> None:
    assert "het" in stopwords("nl") and "het" not in stopwords("en")
    assert "the" in stopwords("en")
    assert stopwords("fr") == frozenset()


def test_yaml_words_that_look_like_booleans_stay_words() -> None:
    # "no", "on" and "yes" would be read as booleans by a plain YAML loader.
    english = stopwords("en")
    assert {"no", "on", "yes"} <= english
    assert "False" not in english and "True" not in english
