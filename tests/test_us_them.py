"""Us/them language about another group: flagged, while neutral "wij"/"zij" is not."""

from __future__ import annotations

import pytest

from agent.analysis.us_them import find_us_them, fold_with_offsets, has_us_them

PARTIES = ("College van Bestuur", "Ondernemingsraad", "Raad van Toezicht", "Studentenraad")
PARTIES_EN = ("Executive Board", "Works Council", "Supervisory Board")


@pytest.mark.parametrize(
    ("text", "expected_piece"),
    [
        ("Zij daarboven hebben geen idee wat er op de werkvloer gebeurt.", "Zij daarboven"),
        ("Die lui van financiën kijken alleen naar de cijfers.", "Die lui"),
        ("Zij van het bestuur denken altijd eerst aan geld en pas daarna aan mensen.", "altijd"),
        ("De mensen op het hoofdkantoor snappen niet hoe het hier werkt.", "snappen niet"),
        ("Het management luistert gewoon niet.", "management"),
        ("Ze luisteren nooit naar ons.", "nooit"),
        ("Wij doen het werk, terwijl zij alleen maar vergaderen.", "zij"),
        ("Nooit luistert de directie naar de werkvloer.", "directie"),
    ],
)
def test_dutch_us_them_is_flagged(text: str, expected_piece: str) -> None:
    spans = find_us_them(text, "nl", PARTIES)
    assert spans, text
    assert any(expected_piece in s.text for s in spans)


def test_party_name_makes_a_group() -> None:
    text = "De raad van toezicht wil altijd alleen maar een sluitende begroting."
    spans = find_us_them(text, "nl", PARTIES)
    assert spans and spans[0].text.lower().startswith("de raad van toezicht")
    # The acronym of a multi-word party is recognised too, case-sensitively.
    assert has_us_them("De RvT wil altijd meer rapportages.", "nl", PARTIES)


@pytest.mark.parametrize(
    "text",
    [
        "They up there have no idea what happens on the floor.",
        "Those people in finance never ask us anything.",
        "The boardroom always decides before we are heard.",
        "Management never listens.",
        "Them upstairs don't care about the wards.",
        "The board only cares about the numbers.",
        "They never listen to us.",
    ],
)
def test_english_us_them_is_flagged(text: str) -> None:
    assert find_us_them(text, "en", PARTIES_EN), text


@pytest.mark.parametrize(
    "text",
    [
        "Wij als OR vinden dat de werkdruk omlaag moet.",
        "Als OR hebben we altijd gezegd dat kwaliteit voorop staat.",
        "Zij hebben een punt.",
        "Het bestuur heeft de cijfers gepresenteerd.",
        "Voor de studenten is begeleiding altijd belangrijk.",
        "Ik snap niet helemaal wat de raad van toezicht bedoelt.",
        "Het bestuur heeft de cijfers gegeven, maar wij snappen ze niet.",
        "We hebben altijd goed samengewerkt met de directie.",
        "De raad van toezicht wil een sluitende begroting en een buffer voor tegenvallers.",
    ],
)
def test_dutch_neutral_is_not_flagged(text: str) -> None:
    assert find_us_them(text, "nl", PARTIES) == [], text


@pytest.mark.parametrize(
    "text",
    [
        "They made a good point.",
        "The board presented the figures.",
        "We as the works council think workload matters.",
        "As always, the board presented the figures clearly.",
        "For the nurses it is always about safety.",
        "I don't understand what the board means by that.",
        "We always listen to our patients.",
    ],
)
def test_english_neutral_is_not_flagged(text: str) -> None:
    assert find_us_them(text, "en", PARTIES_EN) == [], text


def test_spans_point_into_the_original_text() -> None:
    text = "Eerst dit. Die lui van financiën zeggen nooit iets!"
    for span in find_us_them(text, "nl"):
        assert text[span.start : span.end] == span.text
        assert span.kind in {"distancing", "generalisation", "dismissive", "they_vs_us"}


def test_without_party_names_an_unknown_body_is_not_a_group() -> None:
    text = "De Klantenraad wil altijd meer inspraak."
    assert find_us_them(text, "nl") == []
    assert find_us_them(text, "nl", ["Klantenraad"])


def test_fold_with_offsets_maps_accents_back() -> None:
    ft = fold_with_offsets("Financiën")
    assert ft.folded == "financien"
    assert ft.span(0, len(ft.folded), "x").text == "Financiën"
