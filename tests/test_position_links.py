"""Later steps tie what is said to what another party wrote, through the position index."""

from __future__ import annotations

import pytest

from agent.analysis.text import quote_in
from agent.models import MeetingCreate, ParticipantIn, PartyIn, Suggestions, Topic, UtteranceIn
from agent.service import MeetingService, open_service
from agent.settings import Settings

NL = {
    "parties": {"or": "Ondernemingsraad", "cr": "Cliëntenraad", "rvb": "Raad van Bestuur"},
    "people": {"petra": "or", "gerda": "cr", "frank": "rvb"},
    "positions": {
        "gerda": "Rond het dorp wonen veel ouderen. Voor hen is een half uur rijden 's nachts "
        "naar de spoedeisende hulp een groot probleem.",
        "frank": "De begroting moet sluiten. We willen keuzes maken op basis van cijfers.",
    },
    "echo": "Ik zie het ook: voor oudere mensen is 's nachts een half uur rijden naar de "
    "spoedeisende hulp echt een probleem.",
    "negation": "Ik vind niet dat een half uur rijden 's nachts naar de spoedeisende hulp "
    "voor ouderen een probleem is.",
    "yes_but": "Ja, maar een half uur rijden 's nachts naar de spoedeisende hulp is voor "
    "ouderen ook weer niet zo erg.",
}
EN = {
    "parties": {"union": "Staff union", "parents": "Parents", "exec": "Executive"},
    "people": {"steve": "union", "kelly": "parents", "joanne": "exec"},
    "positions": {
        "kelly": "My son has autism and a one-to-one teaching assistant for part of the day. "
        "Without her he could not stay in a mainstream school.",
        "joanne": "The trust must set a balanced budget. Reserves are below the agreed level.",
    },
    "echo": "The teaching assistants who support children with autism in mainstream school "
    "are the ones I worry about most.",
    "negation": "I don't think one-to-one teaching assistants for children with autism are "
    "what keeps them in mainstream school.",
    "yes_but": "Yes, but one-to-one teaching assistants for children with autism cost more "
    "than a mainstream school can pay.",
}


async def _meeting(service: MeetingService, lang: str, data: dict) -> str:
    created = await service.create_meeting(
        MeetingCreate(
            topic=Topic(title="Koers" if lang == "nl" else "Direction", kind="strategy", goal="-"),
            language=lang,
            parties=[PartyIn(id=k, name=v) for k, v in data["parties"].items()],
            participants=[
                ParticipantIn(id=k, name=k.title(), party=v) for k, v in data["people"].items()
            ],
        )
    )
    for who, text in data["positions"].items():
        await service.add_position(created.id, who, text)
    await service.change_step(created.id, "values")
    return created.id


def _links(advice: Suggestions) -> list:
    return [i for i in advice.items if i.kind == "position_link"]


@pytest.mark.parametrize(("lang", "data"), [("nl", NL), ("en", EN)])
async def test_an_echo_of_another_partys_position_is_linked_and_cited(
    settings: Settings, lang: str, data: dict
) -> None:
    async with open_service(settings) as service:
        mid = await _meeting(service, lang, data)
        speaker = next(
            p for p, party in data["people"].items() if party == next(iter(data["parties"]))
        )
        await service.add_utterances(mid, [UtteranceIn(speaker=speaker, text=data["echo"])])
        links = _links(await service.suggestions(mid))
        assert len(links) == 1, [i.text for i in (await service.suggestions(mid)).items]
        said, written = links[0].citations
        assert said.utterance_id == "u1" and said.participant == speaker
        assert quote_in(said.quote, data["echo"])
        author = next(iter(data["positions"]))
        assert written.participant == author and written.position_id
        assert quote_in(written.quote, data["positions"][author])
        # The connection step shows it too, after agreements and differences.
        advice = await service.change_step(mid, "connection")
        assert _links(advice) and advice.items[-1].kind == "position_link"


@pytest.mark.parametrize(("lang", "data"), [("nl", NL), ("en", EN)])
@pytest.mark.parametrize("turn", ["negation", "yes_but"])
async def test_a_turn_that_takes_it_back_is_not_linked(
    settings: Settings, lang: str, data: dict, turn: str
) -> None:
    async with open_service(settings) as service:
        mid = await _meeting(service, lang, data)
        speaker = next(
            p for p, party in data["people"].items() if party == next(iter(data["parties"]))
        )
        await service.add_utterances(mid, [UtteranceIn(speaker=speaker, text=data[turn])])
        assert _links(await service.suggestions(mid)) == []


async def test_no_link_to_ones_own_party_and_none_after_a_withdrawal(settings: Settings) -> None:
    async with open_service(settings) as service:
        mid = await _meeting(service, "nl", NL)
        # Gerda repeating her own position is not a link between parties.
        await service.add_utterances(mid, [UtteranceIn(speaker="gerda", text=NL["echo"])])
        assert _links(await service.suggestions(mid)) == []
        await service.add_utterances(mid, [UtteranceIn(speaker="petra", text=NL["echo"])])
        assert len(_links(await service.suggestions(mid))) == 1
        await service.withdraw_position(mid, "gerda")
        await service.add_utterances(mid, [UtteranceIn(speaker="frank", text="Dank je.")])
        assert _links(await service.suggestions(mid)) == []  # her words are gone


@pytest.mark.parametrize(("lang", "data"), [("nl", NL), ("en", EN)])
async def test_the_same_person_echoing_the_same_passage_again_is_shown_once(
    settings: Settings, lang: str, data: dict
) -> None:
    async with open_service(settings) as service:
        mid = await _meeting(service, lang, data)
        speaker = next(
            p for p, party in data["people"].items() if party == next(iter(data["parties"]))
        )
        again = "Nogmaals: " if lang == "nl" else "Again: "
        for text in (data["echo"], again + data["echo"]):
            await service.add_utterances(mid, [UtteranceIn(speaker=speaker, text=text)])
        state = await service._state(mid)
        assert len(state["links"]) == 2  # both are remembered ...
        links = _links(await service.suggestions(mid))
        assert len(links) == 1  # ... and shown once, citing the newest
        assert links[0].citations[0].utterance_id == "u2"
