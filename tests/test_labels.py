"""Labels of points and differences: the content, not the frame around it."""

from __future__ import annotations

import pytest

from agent.reasoner.local import label_of, short_quote


@pytest.mark.parametrize(
    ("sentence", "language", "label"),
    [
        (
            "En ik denk dat we allemaal willen dat geen student afhaakt omdat hij het niet kan "
            "betalen.",
            "nl",
            "Geen student afhaakt omdat hij het niet kan betalen",
        ),
        (
            "Voor ons is het belangrijkste dat de lessen gewoon doorgaan.",
            "nl",
            "De lessen gewoon doorgaan",
        ),
        (
            "Eens, goede begeleiding staat voor ons voorop.",
            "nl",
            "Goede begeleiding staat voor ons voorop",
        ),
        (
            "I think we all want the students to get good guidance.",
            "en",
            "We all want the students to get good guidance",
        ),
        (
            "For us the most important thing is that patients get continuity of care.",
            "en",
            "Patients get continuity of care",
        ),
        # A frame with a negation changes what follows: it stays.
        (
            "Ik denk niet dat dat klopt met de cijfers van vorig jaar.",
            "nl",
            "Ik denk niet dat dat klopt met de cijfers van vorig jaar",
        ),
        (
            "I don't think that is fair to the students.",
            "en",
            "I don't think that is fair to the students",
        ),
        # "niemand wil dat" is content, not a frame: dropping it would say the opposite.
        (
            "Ik hoor dat niemand wil dat het ten koste gaat van de lessen zelf.",
            "nl",
            "Niemand wil dat het ten koste gaat van de lessen zelf",
        ),
        # Too little would be left after the frame.
        ("Ik denk dat het klopt.", "nl", "Ik denk dat het klopt"),
    ],
)
def test_a_label_drops_the_frame_and_keeps_the_content(
    sentence: str, language: str, label: str
) -> None:
    assert label_of(sentence, language) == label
    assert label.lower() in sentence.lower()  # still the speaker's own words


def test_a_long_sentence_is_cut_at_a_clause_that_stands_on_its_own() -> None:
    sentence = (
        "Voor mij is het heel erg belangrijk dat we eerlijk kiezen tussen alle opleidingen "
        "van het ROC, en niet op basis van wie het hardst roept."
    )
    assert short_quote(sentence, 14) != "en niet op basis van wie het hardst roept"
    assert label_of(sentence, "nl") == "We eerlijk kiezen tussen alle opleidingen van het ROC"


def test_a_label_from_a_later_clause_starts_with_a_capital() -> None:
    label = label_of(
        "Mijn voorstel: we redeneren vanuit wat goed is voor het ROC als geheel, iedereen mag "
        "iedereen bevragen, en we besluiten vandaag nog niets.",
        "nl",
    )
    assert label == "We redeneren vanuit wat goed is voor het ROC als geheel"


@pytest.mark.parametrize(
    ("sentence", "language"),
    [
        ("I heard nobody say that it was easy for the staff.", "en"),
        ("Ik hoorde niemand zeggen dat het makkelijk was voor het personeel.", "nl"),
    ],
)
def test_a_frame_with_a_negative_word_stays(sentence: str, language: str) -> None:
    assert label_of(sentence, language) == sentence.rstrip(".")


@pytest.mark.parametrize(
    ("sentence", "language", "label"),
    [
        (
            "And I heard Lucas say earlier that colleagues on temporary contracts deserve a "
            "fair process.",
            "en",
            "Colleagues on temporary contracts deserve a fair process",
        ),
        (
            "What I'd want is that the numbers are out in the open.",
            "en",
            "The numbers are out in the open",
        ),
        ("Wat ik echt wil is dat de cijfers op tafel komen.", "nl", "De cijfers op tafel komen"),
    ],
)
def test_reported_speech_and_wishes_are_frames_too(
    sentence: str, language: str, label: str
) -> None:
    assert label_of(sentence, language) == label
