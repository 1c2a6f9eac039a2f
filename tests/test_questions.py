"""Automatic checks for values-probing questions."""

from __future__ import annotations

import pytest

from agent.analysis.questions import (
    CLOSED,
    CONTAINS_SOLUTION,
    LEADING,
    NO_ADDRESSEE,
    NOT_GROUNDED,
    NOT_SINGLE,
    WRONG_LANGUAGE,
    addresses,
    check_question,
    content_stems,
    extract_quotes,
    is_grounded,
    is_open_question,
    question_form,
    stem,
)

ANNA = ["Anna de Vries", "Ondernemingsraad"]
ANNA_OWN = [
    "De OR vindt dat de begroting de werkdruk van docenten serieus moet nemen. "
    "Collega's lopen op hun tenen.",
    "Voor ons staat de werkdruk van docenten voorop.",
]
NOOR = ["Noor Bakker", "Studentenraad"]
NOOR_OWN = [
    "Studenten willen goede begeleiding bij stages en een rooster dat niet elke week verandert."
]
SARAH = ["Sarah Miller", "Nursing Council"]
SARAH_OWN = [
    "On our wards the nurses are exhausted; staffing levels have dropped every year.",
    "What matters to me is that patients feel safe at night.",
]


@pytest.mark.parametrize(
    ("text", "addressees", "own"),
    [
        (
            "Anna, je noemt de werkdruk van docenten: wat maakt dat voor jou zo zwaar?",
            ANNA,
            ANNA_OWN,
        ),
        ("Anna, wat bedoel je met 'lopen op hun tenen'?", ANNA, ANNA_OWN),
        ("Noor, wat betekent goede begeleiding bij stages voor jou?", NOOR, NOOR_OWN),
        ("Kun je vertellen, Noor, wat goede begeleiding voor studenten inhoudt?", NOOR, NOOR_OWN),
        ("Wat vraagt de werkdruk van docenten van de ondernemingsraad?", ANNA, ANNA_OWN),
    ],
)
def test_good_dutch_questions_pass(text: str, addressees: list[str], own: list[str]) -> None:
    result = check_question(text, "nl", addressees, own)
    assert result.passed, result.failures
    assert result.failures == ()


@pytest.mark.parametrize(
    "text",
    [
        "Sarah, what makes safe nights for patients so important to you?",
        'Sarah, you said the nurses are "exhausted": what lies behind that for you?',
        "Could you tell us, Sarah, how the staffing levels on the wards affect the nurses?",
    ],
)
def test_good_english_questions_pass(text: str) -> None:
    result = check_question(text, "en", SARAH, SARAH_OWN)
    assert result.passed, result.failures


def test_yes_no_question_is_closed() -> None:
    nl = check_question(
        "Anna, is de werkdruk van docenten voor jou het belangrijkst?", "nl", ANNA, ANNA_OWN
    )
    assert nl.failures == (CLOSED,)
    en = check_question("Sarah, do you think staffing levels matter most?", "en", SARAH, SARAH_OWN)
    assert CLOSED in en.failures and not en.passed


def test_leading_question_is_rejected() -> None:
    nl = check_question(
        "Anna, vind je ook niet dat de werkdruk van docenten voorop moet staan?",
        "nl",
        ANNA,
        ANNA_OWN,
    )
    assert LEADING in nl.failures
    en = check_question(
        "Sarah, staffing levels on the wards are the key issue, right?", "en", SARAH, SARAH_OWN
    )
    assert LEADING in en.failures
    tag = check_question(
        "De werkdruk van docenten is voor jou het belangrijkst, toch Anna?", "nl", ANNA, ANNA_OWN
    )
    assert LEADING in tag.failures


def test_solution_question_is_rejected() -> None:
    nl = check_question(
        "Anna, wat zou je ervan vinden als we tien procent bezuinigen op de werkdruk van docenten?",
        "nl",
        ANNA,
        ANNA_OWN,
    )
    assert CONTAINS_SOLUTION in nl.failures
    en = check_question(
        "Sarah, what if we cut the night shifts for nurses on the wards?", "en", SARAH, SARAH_OWN
    )
    assert en.failures == (CONTAINS_SOLUTION,)
    better = check_question(
        "Sarah, wouldn't it be better to hire more nurses on the wards?", "en", SARAH, SARAH_OWN
    )
    assert {CONTAINS_SOLUTION, LEADING, CLOSED} <= set(better.failures)


def test_quoted_solution_is_the_participants_not_the_questions() -> None:
    own = ["We moeten gewoon tien procent bezuinigen op de ondersteunende diensten."]
    text = "Karim, wat zit er voor jou onder 'tien procent bezuinigen'?"
    result = check_question(text, "nl", ["Karim El Amrani"], own)
    assert result.passed, result.failures


def test_two_questions_are_not_single() -> None:
    two = check_question(
        "Anna, wat betekent werkdruk voor docenten? En hoe merk je dat?", "nl", ANNA, ANNA_OWN
    )
    assert NOT_SINGLE in two.failures
    chained = check_question(
        "Sarah, how do staffing levels affect the nurses, and what would help them most?",
        "en",
        SARAH,
        SARAH_OWN,
    )
    assert NOT_SINGLE in chained.failures
    statement = check_question("Anna, vertel over de werkdruk van docenten.", "nl", ANNA, ANNA_OWN)
    assert NOT_SINGLE in statement.failures


def test_wrong_language() -> None:
    result = check_question(
        "Anna, what does the workload of the teachers mean to you?", "nl", ANNA, ANNA_OWN
    )
    assert WRONG_LANGUAGE in result.failures
    assert result.detected_language == "en"


def test_addressee_is_required_and_first_name_is_enough() -> None:
    result = check_question("Wat maakt de werkdruk van docenten zo zwaar?", "nl", ANNA, ANNA_OWN)
    assert result.failures == (NO_ADDRESSEE,)
    assert addresses("anna, wat bedoel je?", ANNA)
    assert addresses("Wat vindt de OR daarvan?", ["Ondernemingsraad"])  # known short form
    assert not addresses("Wat vind je of dat klopt?", ["Ondernemingsraad"])  # "or" != "OR"
    # The first word of a party's name is not a first name.
    assert not addresses("Wat geeft de raad daarbij de doorslag?", ["Raad van Toezicht"])
    assert not addresses("Wat vindt Annabel daarvan?", ANNA)  # whole words only


def test_grounding_needs_quote_or_two_shared_words() -> None:
    ungrounded = check_question("Anna, wat vind je belangrijk?", "nl", ANNA, ANNA_OWN)
    assert ungrounded.failures == (NOT_GROUNDED,)
    invented = check_question(
        "Anna, wat bedoel je met 'docenten gaan kapot'?", "nl", ANNA, ANNA_OWN
    )
    assert NOT_GROUNDED in invented.failures
    # Paraphrase through the stemmer: begeleiding ~ begeleiden, stage ~ stages.
    assert is_grounded(
        "Wat betekent het begeleiden tijdens een stage voor jou?", NOOR_OWN, "nl", exclude=["noor"]
    )
    assert not is_grounded("Wat betekent dit voor jou?", NOOR_OWN, "nl")
    assert not is_grounded("Wat betekent begeleiding voor jou?", [], "nl")


@pytest.mark.parametrize(
    ("text", "language", "form"),
    [
        ("Wat betekent dat voor jou?", "nl", "open"),
        ("Als je terugkijkt op vorig jaar, wat is je dan bijgebleven?", "nl", "open"),
        ("In hoeverre speelt werkdruk mee?", "nl", "open"),
        ("Kunt u toelichten wat u bedoelt?", "nl", "polite"),
        ("Kun je dat morgen regelen?", "nl", "closed"),
        ("Je vindt werkdruk belangrijk?", "nl", "closed"),
        ("Klopt het dat werkdruk voorop staat?", "nl", "closed"),
        ("Tell me more about the night shifts?", "en", "open"),
        ("Can you describe a typical night shift?", "en", "polite"),
        ("Isn't safety the main thing?", "en", "closed"),
        ("Why does that matter to you?", "en", "open"),
    ],
)
def test_question_form(text: str, language: str, form: str) -> None:
    assert question_form(text, language) == form
    assert is_open_question(text, language) == (form != "closed")


def test_stemmer_maps_inflections_together() -> None:
    assert stem("begeleiding", "nl") == stem("begeleiden", "nl") == stem("begeleidt", "nl")
    assert stem("docenten", "nl") == stem("docent", "nl")
    assert stem("huurders", "nl") == stem("huurder", "nl")
    assert stem("nurses", "en") == stem("nurse", "en")
    assert stem("caring", "en") == stem("cares", "en") == stem("care", "en")
    assert stem("werkdruk", "nl") == "werkdruk"
    assert "werkdruk" in content_stems("De werkdruk is hoog", "nl")
    assert "de" not in content_stems("De werkdruk is hoog", "nl")


def test_quotes_ignore_apostrophes() -> None:
    assert extract_quotes("Wat bedoel je met 'lopen op hun tenen'?") == ["lopen op hun tenen"]
    assert extract_quotes("Hoe zie je z'n rol, en don't you know?") == []
    assert extract_quotes("You said “exhausted…”, why?") == ["exhausted"]
