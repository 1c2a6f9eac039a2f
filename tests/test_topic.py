"""Step 1: topic fitness and missing parties."""

from __future__ import annotations

import pytest

from agent.analysis.topic import detect_sector, judge_topic, missing_parties


@pytest.mark.parametrize(
    ("kind", "title", "goal", "language"),
    [
        (
            "budget",
            "Begroting 2027",
            "Samen de uitgangspunten voor de begroting 2027 verkennen",
            "nl",
        ),
        ("strategy", "Koers 2030", "De strategie voor de komende jaren verkennen", "nl"),
        ("change", "Merger with St. Anne", "Prepare the merger together", "en"),
        ("course", "Future of the second site", "Decide on the direction", "en"),
        (
            "operational",
            "Roostermodel",
            "Een nieuw roostermodel passend bij de onderwijsvisie",
            "nl",
        ),
        # A change in how people work outweighs the practical word inside it.
        (
            "change",
            "Introducing self-rostering on the wards",
            "Understand what each group values before the wards move to self-rostering",
            "en",
        ),
        (
            "change",
            "Zelfroosteren op de afdelingen",
            "Verkennen wat de invoering van zelfroosteren voor ieder betekent",
            "nl",
        ),
    ],
)
def test_suitable_topics(kind: str, title: str, goal: str, language: str) -> None:
    judgement = judge_topic(kind, title, goal, language)
    assert judgement.suitable, judgement.reason
    assert judgement.reason.endswith(".")
    assert f"kind:{kind}" in judgement.signals


@pytest.mark.parametrize(
    ("kind", "title", "goal", "language"),
    [
        ("operational", "Schoonmaakrooster", "Afspraken over het schoonmaakrooster", "nl"),
        ("operational", "Parking spaces", "Agree on the new parking arrangements", "en"),
        ("operational", "Teamoverleg", "Afspraken maken", "nl"),
        ("budget", "Budget nieuwe koffieautomaat", "Kiezen welke koffieautomaat we kopen", "nl"),
        ("budget", "Holiday rota budget", "Settle the holiday rota for summer", "en"),
        # "Introducing" a practical thing is still a practical matter.
        ("change", "Introducing a new coffee machine", "Pick the machine for the canteen", "en"),
        ("change", "Nieuw rooster", "De invoering van een nieuw dienstrooster", "nl"),
        ("operational", "Introducing self-rostering", "Agree how the rota app is used", "en"),
    ],
)
def test_unsuitable_topics(kind: str, title: str, goal: str, language: str) -> None:
    judgement = judge_topic(kind, title, goal, language)
    assert not judgement.suitable, judgement.reason


def test_reason_follows_the_meeting_language() -> None:
    nl = judge_topic("budget", "Begroting", "", "nl")
    en = judge_topic("budget", "Budget", "", "en")
    assert "begroting" in nl.reason.lower() and "budget" in en.reason.lower()
    assert nl.reason != en.reason
    op = judge_topic("operational", "Parkeren", "Nieuwe parkeerregels", "nl")
    assert "parkeer" in op.reason and any(s.startswith("operational:") for s in op.signals)


def test_positions_only_add_signals() -> None:
    judgement = judge_topic(
        "operational", "Koffie", "Een nieuwe koffieautomaat", "nl", ["Dit raakt onze koers."]
    )
    assert not judgement.suitable
    assert "positions:course" in judgement.signals


EDU_PARTIES = ["College van Bestuur", "Ondernemingsraad", "Studentenraad", "Raad van Toezicht"]
EDU_TEXTS = [
    ("p1", "De OR vindt dat de begroting de werkdruk van docenten serieus moet nemen."),
    ("p2", "Studenten willen goede begeleiding bij stages."),
]


def test_present_groups_are_not_missing() -> None:
    names = [m.name for m in missing_parties(EDU_PARTIES, EDU_TEXTS, "nl", "Begroting ROC")]
    # Docenten (via the OR), studenten and the RvT are at the table.
    assert not any("docent" in n or "student" in n or "toezicht" in n for n in names)


def test_mentioned_absent_group_ranks_first() -> None:
    parties = ["Bestuur", "Ondernemingsraad", "Raad van Toezicht"]
    texts = [
        ("u2", "De bewoners van de flat klagen al jaren over de woningen."),
        ("u1", "De huurders zitten hier niet, terwijl het om hun huurverhoging gaat."),
    ]
    result = missing_parties(parties, texts, "nl", "Huurbeleid woningcorporatie")
    assert result[0].name == "huurders"
    assert result[0].kind == "mentioned" and result[0].absent_said
    assert result[0].evidence == ("u1",)
    assert "huurders" in result[0].reason and "u1" in result[0].reason
    assert [m.name for m in result][:2] == ["huurders", "bewoners"]
    usual = [m for m in result if m.kind == "usual"]
    assert any("gemeente" in m.name for m in usual)
    assert all(m.evidence == () for m in usual)


def test_party_name_covers_its_group() -> None:
    texts = [("u1", "De ouders maken zich zorgen over de huurders en de leerlingen.")]
    names = [m.name for m in missing_parties(["Ouderraad", "Huurdersvereniging"], texts, "nl")]
    assert "ouders" not in names and "huurders" not in names
    assert "leerlingen" in names


def test_english_names_and_usual_care_parties() -> None:
    parties = ["Executive Board", "Works Council", "Client Council"]
    texts = [
        ("u1", "The nurses aren't here, yet the night shifts are about them."),
        ("u2", "Patients on the ward need continuity of care."),
    ]
    result = missing_parties(parties, texts, "en", "Care home strategy")
    assert result[0].name == "nurses" and result[0].absent_said
    names = [m.name for m in result]
    assert "patients" not in names  # the client council speaks for them
    assert "supervisory board" in names
    assert all(m.name == m.name.lower() for m in result)


def test_usual_seat_takes_the_word_the_texts_use() -> None:
    parties = ["Directie", "Ouderraad", "MR"]
    texts = [("u1", "Hoe kijken de leerlingen van groep 8 hiernaar?")]
    result = missing_parties(parties, texts, "nl", "Basisschool De Regenboog")
    assert [m.name for m in result][:1] == ["leerlingen"]
    assert detect_sector(parties, texts, "Basisschool De Regenboog") == "education"


def test_nothing_known_gives_nothing() -> None:
    assert missing_parties(["Team A"], [("u1", "Goedemorgen allemaal.")], "nl") == []
    assert detect_sector(["Team A"], [], "") is None


def _absent(present: list[str], texts: list[tuple[str, str]], language: str) -> list[str]:
    return [m.name for m in missing_parties(present, texts, language) if m.absent_said]


@pytest.mark.parametrize(
    ("present", "texts", "language", "stems"),
    [
        # Absence phrasing, singular and plural, subject before or after the verb.
        (
            ["Directie", "Ondernemingsraad"],
            [("u1", "Maar de vakbond zit hier niet.")],
            "nl",
            ["vakbond"],
        ),
        (
            ["College van Bestuur"],
            [("u1", "Zonder het werkveld aan tafel weten we het niet.")],
            "nl",
            ["werkveld"],
        ),
        (
            ["Raad van Bestuur"],
            [("u1", "Mee eens, de huisartsen en de ambulancedienst horen bij dit gesprek.")],
            "nl",
            ["huisarts", "ambulance"],
        ),
        (
            ["Raad van Bestuur"],
            [("u1", "De huisarts uit de regio zit hier niet.")],
            "nl",
            ["huisarts"],
        ),
        (["Bestuur"], [("u1", "Vandaag zitten de huurders hier niet.")], "nl", ["huurder"]),
        (["Bestuur"], [("u1", "Niemand van de huurders zit hier.")], "nl", ["huurder"]),
        (["Bestuur"], [("u1", "De kinderopvang had hier moeten zitten.")], "nl", ["kinderopvang"]),
        (["Board"], [("u1", "But the leaseholders aren't here.")], "en", ["leaseholder"]),
        (["Board"], [("u1", "The PhD candidates should be at this table.")], "en", ["phd"]),
        (["Board"], [("u1", "But the foster carers aren't at this table.")], "en", ["foster"]),
        (["Board"], [("u1", "Nobody from the night shift is here.")], "en", ["night shift"]),
        # A part of a group at the table: the works council speaks for staff, but not for
        # the remote staff someone says are missing.
        (
            ["Management Team", "Works Council"],
            [("u1", "The remote staff in Lisbon aren't represented here.")],
            "en",
            ["remote staff"],
        ),
    ],
)
def test_groups_said_to_be_absent_are_named(
    present: list[str], texts: list[tuple[str, str]], language: str, stems: list[str]
) -> None:
    names = _absent(present, texts, language)
    for stem in stems:
        assert any(stem in n.casefold() for n in names), (stem, names)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Het probleem zit hier niet.", "nl"),
        ("Jan zit hier niet.", "nl"),
        ("De cijfers zijn er nog niet.", "nl"),
        ("The numbers aren't here yet.", "en"),
        ("Sarah isn't here today.", "en"),
        ("Our concerns are not represented in the plan.", "en"),
        ("The data is missing.", "en"),
    ],
)
def test_things_and_people_are_not_missing_parties(text: str, language: str) -> None:
    assert _absent(["Directie"], [("u1", text)], language) == []


def test_absence_said_of_the_groups_just_named() -> None:
    text = "Ik vraag me af hoe het met de mantelzorgers zit. Die zitten hier niet aan tafel."
    result = missing_parties(["Directie"], [("u1", text)], "nl")
    assert result[0].absent_said and "mantelzorgers" in result[0].name


def test_the_most_specific_group_wins() -> None:
    nl = [
        m.name
        for m in missing_parties(["Directie"], [("u1", "De huisartsen zitten hier niet.")], "nl")
    ]
    assert nl == ["huisartsen"]
    en = missing_parties(["Board"], [("u1", "But the foster carers aren't here.")], "en")
    assert [m.name for m in en] == ["foster carers"]
