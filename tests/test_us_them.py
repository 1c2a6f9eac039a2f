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


@pytest.mark.parametrize(
    ("text", "expected_piece"),
    [
        # The speaker's own side shut out by an unnamed "them".
        ("Wij worden nooit gevraagd wat we ervan vinden.", "nooit gevraagd"),
        ("Als OR worden we altijd als laatste geïnformeerd.", "als laatste"),
        ("Niemand vraagt ons iets.", "Niemand vraagt ons"),
        ("Er wordt nooit naar ons geluisterd.", "naar ons geluisterd"),
        # Central offices as a group.
        ("Het stafbureau bedenkt steeds weer nieuwe formulieren.", "stafbureau"),
        # Dutch puts the verb last: words between "wij mogen het" and the burden.
        ("De directie beslist en wij mogen het op de werkvloer oplossen.", "oplossen"),
        ("De directie schrijft het plan en wij in de klas mogen het invullen.", "invullen"),
        # Knowing better: "wij kennen ..., het hoofdkantoor niet".
        ("Wij kennen de wijk, het hoofdkantoor niet.", "hoofdkantoor niet"),
        ("Wij kennen onze leerlingen, de RvT niet.", "RvT niet"),
    ],
)
def test_dutch_exclusion_and_contrast_are_flagged(text: str, expected_piece: str) -> None:
    spans = find_us_them(text, "nl", PARTIES)
    assert spans, text
    assert any(expected_piece in s.text for s in spans), spans


@pytest.mark.parametrize(
    "text",
    [
        "We are never consulted about the rota.",
        "The medical side is never asked until it's been decided.",
        "Nobody ever asks us.",
        "The central team always takes its share first.",
        "The trust office never listens.",
        "I know my ward; the trust office doesn't.",
        "We know the wards; management doesn't.",
    ],
)
def test_english_exclusion_and_contrast_are_flagged(text: str) -> None:
    assert find_us_them(text, "en", PARTIES_EN), text


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Ik werd nooit gevraagd om mee te denken, maar nu wel.", "nl"),
        ("Het rooster wordt nooit op tijd gemaakt.", "nl"),
        ("Wij worden altijd goed geholpen door de planning.", "nl"),
        ("Wij kennen de cijfers, de directie ook.", "nl"),
        ("Ik weet het niet, de directie misschien wel.", "nl"),
        ("Ik weet dat de OR instemt, de RvT niet.", "nl"),
        ("I know that the council agrees; the board doesn't.", "en"),
        ("I was never asked to chair this.", "en"),
        ("We are only informed of the big picture, which is fine.", "en"),
        ("We know the numbers. They don't lie.", "en"),
        ("I know the board does its best; they don't have an easy job.", "en"),
        ("The central team presented a clear plan.", "en"),
    ],
)
def test_exclusion_and_contrast_neutral_is_not_flagged(text: str, language: str) -> None:
    parties = PARTIES if language == "nl" else PARTIES_EN
    assert find_us_them(text, language, parties) == [], text


HOSPITAL = ("Raad van Bestuur", "Medisch Specialistisch Bedrijf", "Verpleegkundige Adviesraad")


@pytest.mark.parametrize(
    "text",
    [
        "De specialisten denken altijd dat wij het op de vloer wel oplossen.",
        "De verpleging moet niet doen alsof wij niets doen.",
        "De verpleegkundigen snappen niet hoe een dienst van een arts eruitziet.",
    ],
)
def test_people_of_another_party_make_a_group(text: str) -> None:
    # "Specialisten" and "verpleging" stand for parties at the table.
    assert find_us_them(text, "nl", HOSPITAL), text
    # Without those parties at the table, the same words are not about a party here.
    assert find_us_them(text, "nl", ("Raad van Bestuur",)) == [], text


def test_people_of_another_party_need_a_dismissive_claim() -> None:
    # A profession with "altijd" is often praise or sympathy.
    assert (
        find_us_them("De specialisten zijn altijd bereikbaar, ook 's nachts.", "nl", HOSPITAL) == []
    )
    assert find_us_them("Ik vind dat de verpleging gelijk heeft.", "nl", HOSPITAL) == []
    parties = ("Executive Team", "Medical Staff Committee")
    assert find_us_them("The doctors always assume the nurses will cover.", "en", parties)
    assert find_us_them("The consultants act as if the wards run themselves.", "en", parties)
    assert find_us_them("The doctors are always there at night.", "en", parties) == []
