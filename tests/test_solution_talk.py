"""Solution talk: jumps to a concrete solution are flagged; values and questions are not."""

from __future__ import annotations

import pytest

from agent.analysis.solution_talk import (
    detect_solution_talk,
    find_solution_talk,
    is_solution_talk,
    mentions_action,
)

SOLUTIONS_NL = [
    "We moeten gewoon tien procent bezuinigen op de ondersteunende diensten.",
    "Laten we de tweede locatie sluiten.",
    "Ik stel voor om de kantine uit te besteden.",
    "De oplossing is een vacaturestop.",
    "Waarom sluiten we niet gewoon de tweede locatie?",
    "Gewoon die locatie sluiten, klaar.",
    "Schrap de excursies.",
    "Volgens mij moeten we de huren verhogen.",
    "We zouden de ICT kunnen uitbesteden.",
    "Laten we de kantine openhouden.",
    "Het beste is om de bibliotheek te verkopen.",
    "Kunnen we niet gewoon extra docenten inhuren?",
]
NOT_SOLUTIONS_NL = [
    "Voor mij is belangrijk dat studenten goede begeleiding krijgen.",
    "Wat vind je daaronder belangrijk?",
    "Dat is een oplossing, Karim. Wat vind je daaronder belangrijk?",
    "Laten we eerst luisteren naar wat iedereen belangrijk vindt.",
    "Laten we vandaag nog geen besluiten nemen.",
    "De raad van toezicht wil een sluitende begroting en een buffer voor tegenvallers.",
    "Als we moeten bezuinigen, wil ik dat de begeleiding overeind blijft.",
    "Ik ben bang dat we de locatie moeten sluiten.",
    "We moeten niet gaan bezuinigen op begeleiding.",
    "Ik sluit me aan bij Anna.",
    "Vorig jaar hebben we moeten bezuinigen en dat deed pijn.",
    "Moeten we bezuinigen?",
    "Wat betekent de bezuiniging voor jou?",
    "We moeten de werkdruk verlagen.",
]
SOLUTIONS_EN = [
    "Let's just sell the building.",
    "We should simply outsource the cleaning.",
    "Why don't we just cut the travel budget?",
    "I propose we freeze hiring for a year.",
    "The solution is to merge the two wards.",
    "What if we close the second site?",
    "We need to cut ten percent.",
    "Outsourcing is the answer.",
    "Just close the café.",
    "Cut the overtime budget.",
]
NOT_SOLUTIONS_EN = [
    "What matters to us is that patients feel safe.",
    "What do you value most in this?",
    "Let's first hear what everyone finds important.",
    "If we have to cut, I want the wards protected.",
    "I'm afraid we'll have to close the ward.",
    "We should not cut nursing staff.",
    "I don't think we should close anything.",
    "We can't keep cutting the wards.",
    "We need to understand each other first.",
    "We need to build trust.",
    "Could you tell me what the cuts mean for you?",
    "Let's not jump to solutions.",
    "Last year we had to cut staff and it hurt.",
]


@pytest.mark.parametrize("text", SOLUTIONS_NL)
def test_dutch_solutions_flagged(text: str) -> None:
    assert detect_solution_talk(text, "nl") is not None, text


@pytest.mark.parametrize("text", NOT_SOLUTIONS_NL)
def test_dutch_values_and_questions_not_flagged(text: str) -> None:
    assert detect_solution_talk(text, "nl") is None, text


@pytest.mark.parametrize("text", SOLUTIONS_EN)
def test_english_solutions_flagged(text: str) -> None:
    assert detect_solution_talk(text, "en") is not None, text


@pytest.mark.parametrize("text", NOT_SOLUTIONS_EN)
def test_english_values_and_questions_not_flagged(text: str) -> None:
    assert detect_solution_talk(text, "en") is None, text


def test_f1_on_the_labelled_sets_is_high() -> None:
    # The scenario metric is F1 over flagged utterances; keep a margin above 0.80.
    cases = [(t, "nl", True) for t in SOLUTIONS_NL] + [(t, "nl", False) for t in NOT_SOLUTIONS_NL]
    cases += [(t, "en", True) for t in SOLUTIONS_EN] + [(t, "en", False) for t in NOT_SOLUTIONS_EN]
    tp = sum(1 for t, lang, gold in cases if gold and is_solution_talk(t, lang))
    fp = sum(1 for t, lang, gold in cases if not gold and is_solution_talk(t, lang))
    fn = sum(1 for t, lang, gold in cases if gold and not is_solution_talk(t, lang))
    assert 2 * tp / (2 * tp + fp + fn) >= 0.95


def test_span_is_the_solution_sentence() -> None:
    text = "Dat merken wij ook. Laten we de tweede locatie sluiten. Dan is het klaar."
    span = detect_solution_talk(text, "nl")
    assert span is not None
    assert span.text == "Laten we de tweede locatie sluiten."
    assert text[span.start : span.end] == span.text
    assert span.kind == "proposal"
    assert len(find_solution_talk(text, "nl")) == 1


def test_mentions_action_is_framing_blind() -> None:
    assert mentions_action("Wat betekent de bezuiniging voor jou?", "nl")
    assert not mentions_action("Wat betekent goede begeleiding voor jou?", "nl")
    assert not mentions_action("We want a balanced budget.", "en")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # Moving, converting and adding capacity are concrete actions.
        ("Dan moeten we gewoon de administratie naar het hoofdkantoor verplaatsen.", "nl"),
        ("We moeten de dagbesteding ombouwen tot een wijkcentrum.", "nl"),
        ("Gewoon drie extra planners erbij nemen.", "nl"),
        ("Laten we thuiswerken verplicht stellen voor iedereen.", "nl"),
        # A process word in a later clause does not make a proposal about the talk.
        ("Laten we gewoon één methode kiezen, dan hoeft niet iedereen het zelf te doen.", "nl"),
        # "Dan ... toch gewoon ...?" poses a proposal as obvious.
        ("Dan huren we toch gewoon een extra bus in?", "nl"),
        ("Let's make overtime compulsory for the senior staff.", "en"),
        ("Let's just make three office days mandatory for everyone.", "en"),
        # "Just" + any verb + object opens a command.
        ("Just tie the bonus to the office days.", "en"),
        ("Just move the whole team to the second floor.", "en"),
    ],
)
def test_more_solution_phrasings_are_flagged(text: str, language: str) -> None:
    assert detect_solution_talk(text, language) is not None, text


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Laten we eerlijk zijn over wat er op het spel staat.", "nl"),
        ("Ik zou het heel moeilijk vinden om de locatie te sluiten.", "nl"),
        ("Dan ben je toch gewoon niet bereikbaar?", "nl"),
        ("Kunnen we niet gewoon eerst horen wat iedereen belangrijk vindt?", "nl"),
        ("Wat betekent het voor jou als we de afdeling verplaatsen?", "nl"),
        # "lets" is not "let's".
        ("Staying in one place is what lets them settle.", "en"),
        ("Let's be honest about what's at stake.", "en"),
        ("Let us know what you think.", "en"),
        # Reluctance is not a proposal.
        ("But I'd find it very hard to close the home.", "en"),
        ("Just imagine the impact on the children.", "en"),
        ("Just to be clear, I'm not against change.", "en"),
        ("Can we just take a moment to hear each other?", "en"),
    ],
)
def test_more_non_solutions_are_not_flagged(text: str, language: str) -> None:
    assert detect_solution_talk(text, language) is None, text
