"""Polarity rules for statements and replies, added for the Habermas pairs and ICSI MRDA.

Each rule has a Dutch and an English case, and the negation cases come in both languages.
The statement pairs are the kind the Habermas set holds: an affirming and a negating
statement that look alike. None of them may ever be read as saying the same thing.
"""

from __future__ import annotations

import pytest

from agent.analysis.polarity import (
    Stance,
    contradicts,
    has_contrast,
    read_polarity,
    responds_in_agreement,
    same_polarity,
)

# --------------------------------------------------------------------------- "ja, maar"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("nl", "Ja, maar dat kost te veel."),
        ("nl", "Klopt, alleen vergeten we de leerlingen."),
        ("nl", "Eens. Het is echter te duur."),
        ("en", "Yes, but the budget is tight."),
        ("en", "I agree, however the cost worries me."),
        ("en", "yeah but they're easier for parsers"),
    ],
)
def test_yes_but_without_a_disagreement_of_its_own_is_partial(language: str, text: str) -> None:
    reading = read_polarity(text, language)
    assert reading.stance is Stance.PARTIAL, reading
    assert reading.contrast
    assert not responds_in_agreement(text, language)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("nl", "Ja, maar ik ben het er niet mee eens."),
        ("nl", "Ja, nee, maar dat gaat niet werken."),
        ("en", "Sure, but I don't think that's the problem."),
        ("en", "Yeah, no, but that won't work."),
    ],
)
def test_yes_but_with_a_disagreement_or_a_no_stays_a_disagreement(language: str, text: str) -> None:
    reading = read_polarity(text, language)
    assert reading.stance is Stance.DISAGREE, reading
    assert not responds_in_agreement(text, language)


# --------------------------------------------------------------------------- verdicts


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("nl", "Kernenergie is niet zo'n goed idee."),
        ("nl", "Een vlaktaks is geen verstandig plan."),
        ("nl", "Dat is niet echt een goed voorstel."),
        ("en", "New nuclear power plants are NOT a good idea."),
        ("en", "A flat tax isn't a good idea."),
        ("en", "It wouldn't be a wise move."),
    ],
)
def test_a_negated_positive_verdict_is_a_disagreement(language: str, text: str) -> None:
    reading = read_polarity(text, language)
    assert reading.stance is Stance.DISAGREE, reading
    assert reading.agree_cues == ()


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("nl", "Geen slecht idee."),
        ("nl", "Dat lijkt me geen gek plan."),
        ("nl", "Dat vind ik geen slecht idee."),
        ("en", "Not a bad idea."),
        ("en", "That's not a bad idea."),
        ("en", "That isn't a bad plan."),
    ],
)
def test_litotes_about_what_was_said_agrees(language: str, text: str) -> None:
    assert read_polarity(text, language).stance is Stance.AGREE
    assert responds_in_agreement(text, language)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        # A statement of its own: its subject is the matter, not what was said.
        ("nl", "Kernenergie is geen slecht idee."),
        ("nl", "Het is geen slecht idee om eerst te wachten."),
        ("en", "Brexit is NOT a bad thing."),
        ("en", "It is NOT a bad thing to be unemployed."),
        ("en", "It is not a bad thing that so many adults never read books."),
    ],
)
def test_litotes_in_a_statement_is_no_agreement_and_no_disagreement(
    language: str, text: str
) -> None:
    reading = read_polarity(text, language)
    assert reading.stance is Stance.NEUTRAL, reading
    assert reading.negations >= 1


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "Same.", Stance.AGREE),
        ("en", "Yeah, same.", Stance.AGREE),
        ("en", "All large cars should be taxed the same.", Stance.NEUTRAL),
        ("en", "It's not the same.", Stance.NEUTRAL),
        # Dutch has no bare "hetzelfde" cue; the echo "hetzelfde hier" is the tracker's.
        ("nl", "Alle grote auto's moeten hetzelfde belast worden.", Stance.NEUTRAL),
        ("nl", "Het is niet hetzelfde.", Stance.NEUTRAL),
    ],
)
def test_same_agrees_only_as_a_reply(language: str, text: str, expected: Stance) -> None:
    assert read_polarity(text, language).stance is expected


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "Anna is right.", Stance.AGREE),
        ("en", "I think Anna is right.", Stance.AGREE),
        ("en", "The UK's approach to the EU is right.", Stance.NEUTRAL),
        ("nl", "Noor heeft gelijk.", Stance.AGREE),
        ("nl", "Ik denk dat Noor gelijk heeft.", Stance.AGREE),
        ("nl", "Het kabinet heeft gelijk dat het bezuinigt.", Stance.NEUTRAL),
    ],
)
def test_named_person_is_right_only_when_the_name_opens_the_clause(
    language: str, text: str, expected: Stance
) -> None:
    assert read_polarity(text, language).stance is expected


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "no no we definitely would not have the user fill it out", Stance.DISAGREE),
        ("en", "and i shouldn't spend too much time getting exactly when", Stance.NEUTRAL),
        ("en", "it would be fine, exactly.", Stance.AGREE),
        # Dutch intensifiers agree only at the start of a clause already.
        ("nl", "We zouden dat zeker niet doen.", Stance.NEUTRAL),
        ("nl", "Zeker.", Stance.AGREE),
    ],
)
def test_an_intensifier_before_a_verb_is_no_agreement(
    language: str, text: str, expected: Stance
) -> None:
    assert read_polarity(text, language).stance is expected


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "uh i th- no i think we got under a percent"),
        ("en", "we no we did four kinds of testing"),
        ("nl", "ik d- nee, we hebben het gemeten"),
        ("nl", "We nee we hebben het gemeten."),
    ],
)
def test_no_after_a_false_start_still_answers(language: str, text: str) -> None:
    reading = read_polarity(text, language)
    assert reading.stance is Stance.DISAGREE, reading
    assert [c.kind for c in reading.disagree_cues] == ["negative_answer"]


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "It no longer matters."), ("en", "We no longer meet on Fridays.")],
)
def test_no_as_a_determiner_after_a_pronoun_is_no_answer(language: str, text: str) -> None:
    assert read_polarity(text, language).stance is Stance.NEUTRAL


# --------------------------------------------------------------------------- with a prior


@pytest.mark.parametrize(
    ("language", "prior", "reply"),
    [
        ("nl", "We hebben nog geen besluit genomen.", "Nee, nog niet."),
        ("nl", "Dat is niet eerlijk.", "Nee, helemaal niet."),
        ("en", "You haven't looked at it yet.", "No, not yet."),
        ("en", "It's not illegal or anything.", "No not at all."),
    ],
)
def test_a_no_that_repeats_the_negation_confirms_a_negative_prior(
    language: str, prior: str, reply: str
) -> None:
    assert read_polarity(reply, language, prior=prior).stance is Stance.AGREE
    # Without the negative statement it answers, it is a plain no.
    assert read_polarity(reply, language).stance is Stance.DISAGREE
    assert read_polarity(reply, language, prior="We hebben een besluit.").stance is (
        Stance.DISAGREE
    )


@pytest.mark.parametrize(
    ("language", "prior", "reply"),
    [
        ("nl", "Maar jullie hebben het budget al.", "Nee."),
        ("en", "you had a discussion with sunil about this though", "no"),
    ],
)
def test_an_objection_in_the_prior_is_no_negation_to_confirm(
    language: str, prior: str, reply: str
) -> None:
    assert read_polarity(reply, language, prior=prior).stance is Stance.DISAGREE


@pytest.mark.parametrize(
    ("language", "prior", "reply"),
    [
        ("nl", "Het is niet over de talen verdeeld, bedoel je?", "Het is wel verdeeld."),
        ("nl", "Dat kan niet, weet je.", "Dat kan wel."),
        ("en", "so it's not divided between languages you mean or", "it is"),
        ("en", "that won't work you know", "it will"),
    ],
)
def test_a_trailing_discourse_marker_does_not_hide_the_negation(
    language: str, prior: str, reply: str
) -> None:
    assert read_polarity(reply, language, prior=prior).stance is Stance.DISAGREE


# --------------------------------------------------------------------------- statements

OPPOSITES = [
    # A quantifier or restriction only one of them has.
    (
        "nl",
        "Elk kind moet een plek krijgen op de opvang.",
        "Kinderen moeten een plek krijgen op de opvang.",
    ),
    (
        "nl",
        "Alle docenten moeten meer verdienen.",
        "Alleen de beste docenten moeten meer verdienen.",
    ),
    (
        "en",
        "Every child should be guaranteed a seat in a nursery school.",
        "Children should be guaranteed a seat in a nursery school.",
    ),
    ("en", "We should pay ALL teachers more.", "We should only pay the BEST teachers more."),
    # The same norm frame, filled differently.
    (
        "nl",
        "De parken moeten beheerd worden door de gemeente.",
        "De parken moeten beheerd worden door een commercieel bedrijf.",
    ),
    (
        "en",
        "The national parks should be run by the government.",
        "The national parks should be run by a commercial company.",
    ),
    (
        "en",
        "It is better for the government to give money to citizens as welfare.",
        "It is better for the government to let citizens keep more of their earnings.",
    ),
    # The same duty for different agents.
    (
        "nl",
        "De gemeente moet het leerlingenvervoer betalen.",
        "De ouders moeten het leerlingenvervoer betalen.",
    ),
    (
        "en",
        "The government should spend more to fund the health service.",
        "People should pay more to fund the health service.",
    ),
    (
        "en",
        "Governments have a duty to take action to limit climate change.",
        "It is the individual's responsibility to take action to limit climate change.",
    ),
    # A ranking turned round, in other words.
    (
        "nl",
        "We geven het geld liever aan docenten dan aan nieuwe gebouwen.",
        "We steken het geld liever in nieuwe gebouwen dan in extra docenten.",
    ),
    (
        "en",
        "We should give cash to people who struggle rather than fund services.",
        "We should fund services rather than giving cash to people who struggle.",
    ),
    # The same words swapped round "than"/"dan", also with a typo (as in the Habermas set).
    (
        "nl",
        "Het geld moet eerder naar onderwijs dan naar defensie.",
        "Het geld moet eerder naar defensie dan naar onderwjis.",
    ),
    (
        "en",
        "The UK should spend more on education than on the military.",
        "The UK should spend more on the military than on eduvcation.",
    ),
    (
        "en",
        "There should be more focus on teaching practical skills rather than on theory.",
        "There should be more focus on teaching theories rather than on practical skills.",
    ),
    # Two antonyms do not cancel out.
    (
        "nl",
        "Kinderen moeten verplicht naar een openbare school.",
        "Kinderen gaan vrijwillig naar een particuliere school.",
    ),
    (
        "en",
        "Parents should be allowed to choose a private school.",
        "Children should be required to attend a public school.",
    ),
    # A word that negates by itself, and independence against belonging.
    ("nl", "Zij zijn dierenvrienden.", "Zij zijn anti-mens."),
    (
        "nl",
        "De regio moet onafhankelijk van de stad beslissen.",
        "De regio is onderdeel van de stad.",
    ),
    (
        "en",
        "Animal rights activists are animal lovers.",
        "Animal rights activists are anti-humans.",
    ),
    (
        "en",
        "A Scottish identity should be independent of Britishness.",
        "A Scottish identity is part of being British.",
    ),
    # Litotes in a statement keeps its negation.
    ("nl", "Kernenergie is een slecht idee.", "Kernenergie is geen slecht idee."),
    ("en", "Brexit is a bad thing.", "Brexit is NOT a bad thing."),
]


@pytest.mark.parametrize(("language", "a", "b"), OPPOSITES)
def test_competing_statements_never_share_a_polarity(language: str, a: str, b: str) -> None:
    assert not same_polarity(a, b, language)
    assert not same_polarity(b, a, language)


PARAPHRASES = [
    ("nl", "Voor ons staat goede begeleiding voorop.", "Goede begeleiding staat voor ons voorop."),
    ("nl", "De bibliotheek mag niet dicht.", "De bibliotheek moet niet dicht."),
    ("en", "We should not cut the library budget.", "The library budget must not be cut."),
    ("en", "Remote work should be the default.", "Working remotely should be our default."),
]


@pytest.mark.parametrize(("language", "a", "b"), PARAPHRASES)
def test_paraphrases_keep_their_polarity(language: str, a: str, b: str) -> None:
    assert same_polarity(a, b, language)


# --------------------------------------------------------------------------- replies


@pytest.mark.parametrize(
    ("language", "reply", "statement"),
    [
        ("nl", "Eens, we moeten de huur verlagen.", "We moeten de huur verhogen."),
        ("nl", "Eens, de huur moet omlaag.", "De huur moet omhoog."),
        ("en", "Agreed, the rent should go down.", "The rent should go up."),
        ("nl", "Inderdaad, kernenergie is geen slecht idee.", "Kernenergie is een slecht idee."),
        (
            "en",
            "Agreed, it is not a bad thing to be unemployed.",
            "It is a bad thing to be unemployed.",
        ),
        (
            "en",
            "Yes. The UK's approach to the EU is right.",
            "The UK's approach to the EU is wrong.",
        ),
    ],
)
def test_a_reply_that_restates_the_opposite_contradicts(
    language: str, reply: str, statement: str
) -> None:
    assert contradicts(reply, statement, language)


@pytest.mark.parametrize(
    ("language", "reply", "statement"),
    [
        ("nl", "Eens.", "We moeten de huur verhogen."),
        (
            "nl",
            "Eens, goede begeleiding van studenten staat voor ons ook voorop.",
            "Voor ons staat goede begeleiding van studenten voorop.",
        ),
        (
            "nl",
            "Daar kan ik me goed in vinden. Vandaag begrijpen, de besluiten later.",
            "Het doel van vandaag is begrijpen, niet besluiten.",
        ),
        ("nl", "Dat denk ik ook niet, we hebben te weinig tijd.", "We hebben niet genoeg tijd."),
        (
            "en",
            "I agree with Tim. The PhD candidates should be at this table.",
            "The PhD candidates aren't represented here.",
        ),
        ("en", "No, I agree, we need more time.", "We need more time."),
    ],
)
def test_an_agreeing_reply_in_its_own_words_does_not_contradict(
    language: str, reply: str, statement: str
) -> None:
    assert not contradicts(reply, statement, language)


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("nl", "Ik snap dat, Petra, maar zonder geld zijn er geen mensen.", True),
        ("nl", "Ik hoor Anna en mij hetzelfde zeggen.", False),
        ("en", "I hear you, Tom. However, the money is not there.", True),
        ("en", "I hear Tim and myself saying the same thing.", False),
    ],
)
def test_has_contrast(language: str, text: str, expected: bool) -> None:
    assert has_contrast(text, language) is expected
