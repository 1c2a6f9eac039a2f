"""Possible common ground in the positions: shared concerns across parties, same direction."""

from __future__ import annotations

import pytest

from agent.analysis.text import quote_in
from agent.common_ground import common_ground_items, shared_concerns
from agent.embeddings import get_embedder
from agent.models import MeetingCreate, MeetingOut, ParticipantIn, PartyIn, PositionOut, Topic
from agent.positions import concern_entries
from agent.roster import Roster
from agent.service import MeetingService, open_service
from agent.settings import Settings


def roster(language: str, parties: dict[str, str], people: dict[str, str]) -> Roster:
    meeting = MeetingOut.model_validate(
        {
            "id": "m1",
            "topic": {"title": "Begroting 2027", "kind": "budget", "goal": "Keuzes voorbereiden"},
            "language": language,
            "step": "frame",
            "parties": [{"id": k, "name": v} for k, v in parties.items()],
            "participants": [
                {"id": k, "name": k.title(), "party": v, "role": "participant"}
                for k, v in people.items()
            ],
            "utterance_count": 0,
            "positions_locked": False,
            "frame": None,
            "created_at": "2026-11-27T08:00:00",
        }
    )
    return Roster.from_meeting(meeting)


def positions(texts: dict[str, str]) -> list[PositionOut]:
    return [
        PositionOut.model_validate(
            {
                "id": f"pos-{who}",
                "participant": who,
                "text": text,
                "created_at": "2026-11-27T08:00:00",
            }
        )
        for who, text in texts.items()
    ]


NL_PARTIES = {
    "or": "Ondernemingsraad",
    "sr": "Studentenraad",
    "cvb": "College van Bestuur",
    "rvt": "Raad van Toezicht",
    "tl": "Teamleiders",
}
NL_PEOPLE = {
    "sandra": "or",
    "dewi": "sr",
    "ruud": "cvb",
    "piet": "or",
    "ahmet": "rvt",
    "linda": "tl",
}
NL_TEXTS = {
    "sandra": "De werkdruk van docenten is te hoog en moet omlaag. Wij willen vooraf meepraten.",
    "dewi": "Door de hoge werkdruk van docenten vallen lessen uit en krijgen studenten minder "
    "begeleiding. Het studentenfonds moet blijven.",
    "ruud": "De werkdruk van docenten is niet te hoog, het probleem is het geld. "
    "De rijksbijdrage daalt met twee miljoen euro.",
    "ahmet": "Wij vragen om een sluitende meerjarenbegroting met cijfers per opleiding.",
    "linda": "Ik wil ruimte om binnen mijn opleidingen zelf te kiezen waar het anders kan.",
}

EN_PARTIES = {
    "union": "Staff union",
    "students": "Student union",
    "exec": "Executive board",
    "governors": "Governors",
    "heads": "Heads of department",
}
EN_PEOPLE = {"sam": "union", "ada": "students", "rob": "exec", "tom": "union", "gus": "governors"}
EN_PEOPLE |= {"hana": "heads"}
EN_TEXTS = {
    "sam": "The workload of lecturers is far too high and has to come down. "
    "We want a say before decisions are made.",
    "ada": "Because the workload of lecturers is so high, classes are cancelled and students "
    "get less supervision. The hardship fund must stay.",
    "rob": "The workload of lecturers is not too high; the problem is money. "
    "Government funding falls by two million pounds.",
    "gus": "We ask for a balanced budget over several years, with figures per programme.",
    "hana": "I want room to choose within my own programmes where things can be done differently.",
}


@pytest.mark.parametrize(
    ("language", "parties", "people", "texts", "word"),
    [
        ("nl", NL_PARTIES, NL_PEOPLE, NL_TEXTS, "werkdruk"),
        ("en", EN_PARTIES, EN_PEOPLE, EN_TEXTS, "workload"),
    ],
)
def test_a_concern_two_parties_share_in_the_same_direction(
    language: str, parties: dict[str, str], people: dict[str, str], texts: dict[str, str], word: str
) -> None:
    r = roster(language, parties, people)
    pos = positions(texts)
    concerns = shared_concerns(pos, r, get_embedder())
    about = [c for c in concerns if word in c.label.lower()]
    assert len(about) == 1, [(c.label, c.parties) for c in concerns]
    shared = about[0]
    # The board says the opposite about the same word: not common ground.
    assert sorted(shared.parties) == sorted([people[p] for p in list(texts)[:2]])
    by_id = {p.id: p for p in pos}
    for voice in shared.voices:
        assert by_id[voice.position_id].participant == voice.participant
        assert quote_in(voice.quote, by_id[voice.position_id].text)
    items = common_ground_items(pos, r, get_embedder())
    item = next(i for i in items if word in i.text.lower())
    assert item.kind == "common_ground"
    assert {c.position_id for c in item.citations} == {v.position_id for v in shared.voices}
    possible = {"nl": "Mogelijk", "en": "Possible"}[language]
    assert item.text.startswith(possible)


def test_the_same_party_twice_is_no_common_ground() -> None:
    r = roster("nl", NL_PARTIES, NL_PEOPLE)
    pos = positions(
        {
            "sandra": NL_TEXTS["sandra"],
            "piet": "De werkdruk van docenten is echt te hoog en moet snel omlaag.",
        }
    )
    assert shared_concerns(pos, r, get_embedder()) == []


def test_numbers_and_names_are_no_concern() -> None:
    r = roster("nl", NL_PARTIES, NL_PEOPLE)
    pos = positions(
        {
            "sandra": "Jeugdzorgwerkers in Oostwold hebben nu gemiddeld achttien gezinnen.",
            "dewi": "Ik heb tussen mijn twaalfde en achttiende in Oostwold acht begeleiders gehad.",
        }
    )
    words = set().union(*(w for e in concern_entries(pos, r, get_embedder(), 1.0) for w in e.words))
    assert words, "the sentences have concern words at all"
    assert not {w for w in words if w.startswith(("achttien", "twaalf", "oostwold"))}, words
    assert shared_concerns(pos, r, get_embedder()) == []


async def test_frame_and_values_steps_show_possible_common_ground(settings: Settings) -> None:
    async with open_service(settings) as service:
        await _walk(service)


async def _walk(service: MeetingService) -> None:
    created = await service.create_meeting(
        MeetingCreate(
            topic=Topic(title="Begroting 2027", kind="budget", goal="Keuzes voorbereiden"),
            language="nl",
            parties=[PartyIn(id=k, name=v) for k, v in NL_PARTIES.items()],
            participants=[
                ParticipantIn(id=k, name=k.title(), party=v) for k, v in NL_PEOPLE.items()
            ],
        )
    )
    for who, text in NL_TEXTS.items():
        await service.add_position(created.id, who, text)
    for step in ("frame", "values"):
        advice = await service.change_step(created.id, step)
        ground = [i for i in advice.items if i.kind == "common_ground"]
        assert len(ground) == 1, (step, [i.kind for i in advice.items])
        assert {c.participant for c in ground[0].citations} == {"sandra", "dewi"}
        assert not advice.agreements  # a lead, never shown as an agreement
    advice = await service.change_step(created.id, "connection")
    assert not [i for i in advice.items if i.kind == "common_ground"]
