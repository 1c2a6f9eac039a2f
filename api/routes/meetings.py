"""Meeting routes: set-up, transcript, steps, advice and the derived views."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from agent.models import (
    ConsultAnswer,
    FrameIn,
    MeetingCreate,
    MeetingCreated,
    MeetingOut,
    Suggestions,
    UtteranceOut,
)
from api.deps import Anyone, Facilitator, Reader, ServiceDep
from api.schemas import (
    AgreementsOut,
    ConsultIn,
    PartyValue,
    PartyValues,
    SignalsOut,
    StepIn,
    UtterancesIn,
    ValuesOut,
)

router = APIRouter(prefix="/meetings", tags=["meetings"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_meeting(body: MeetingCreate, service: ServiceDep) -> MeetingCreated:
    """Open a meeting. The response holds every token; they are not shown again."""
    return await service.create_meeting(body)


@router.get("/{meeting_id}")
async def get_meeting(meeting_id: str, who: Anyone, service: ServiceDep) -> MeetingOut:
    """The meeting, its parties, participants and current step."""
    return service.get_meeting(meeting_id)


@router.post("/{meeting_id}/utterances", status_code=status.HTTP_201_CREATED)
async def add_utterances(
    meeting_id: str, body: UtterancesIn, who: Facilitator, service: ServiceDep
) -> list[UtteranceOut]:
    """Add one utterance or a batch; a batch is stored whole or not at all."""
    return await service.add_utterances(meeting_id, body.as_items())


@router.get("/{meeting_id}/utterances")
async def list_utterances(
    meeting_id: str,
    who: Reader,
    service: ServiceDep,
    after: Annotated[str | None, Query(description="utterance id to start after")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[UtteranceOut]:
    """The transcript in order, paged with ``after`` and ``limit``."""
    return service.list_utterances(meeting_id, after=after, limit=limit)


@router.put("/{meeting_id}/frame")
async def record_frame(
    meeting_id: str, body: FrameIn, who: Facilitator, service: ServiceDep
) -> MeetingOut:
    """Record the opening, ground rules and goal as the meeting agreed them."""
    return await service.record_frame(meeting_id, body.text)


@router.post("/{meeting_id}/step")
async def change_step(
    meeting_id: str, body: StepIn, who: Facilitator, service: ServiceDep
) -> Suggestions:
    """Move to a step; returns the advice for it."""
    return await service.change_step(meeting_id, body.to)


@router.get("/{meeting_id}/suggestions")
async def suggestions(meeting_id: str, who: Reader, service: ServiceDep) -> Suggestions:
    """What the agent advises now, for the current step."""
    return await service.suggestions(meeting_id)


@router.post("/{meeting_id}/consult")
async def consult(
    meeting_id: str, body: ConsultIn, who: Facilitator, service: ServiceDep
) -> ConsultAnswer:
    """A free question from the facilitator, answered with the evidence it rests on."""
    return await service.consult(meeting_id, body.question)


@router.get("/{meeting_id}/agreements")
async def agreements(meeting_id: str, who: Reader, service: ServiceDep) -> AgreementsOut:
    """Points of agreement between parties (polarity-checked), then differences."""
    agreed, differences = await service.agreements(meeting_id)
    return AgreementsOut(agreements=agreed, differences=differences)


@router.get("/{meeting_id}/signals")
async def signals(meeting_id: str, who: Reader, service: ServiceDep) -> SignalsOut:
    """Culture signals: us/them language, speaking share, who has not been heard."""
    return SignalsOut(signals=await service.signals(meeting_id))


@router.get("/{meeting_id}/values")
async def values(meeting_id: str, who: Reader, service: ServiceDep) -> ValuesOut:
    """The value map: party, then values, then evidence."""
    meeting = service.get_meeting(meeting_id)
    per_person = await service.value_map(meeting_id)
    parties: list[PartyValues] = []
    for party in meeting.parties:
        merged: dict[str, PartyValue] = {}
        for p in meeting.participants:
            if p.party != party.id:
                continue
            for v in per_person.get(p.id, []):
                entry = merged.setdefault(
                    v.value,
                    PartyValue(
                        value=v.value, label=v.label, strength=0.0, participants=[], evidence=[]
                    ),
                )
                entry.strength = round(entry.strength + v.strength, 3)
                entry.participants.append(p.id)
                entry.evidence.extend(v.evidence)
        ranked = sorted(merged.values(), key=lambda v: -v.strength)
        parties.append(PartyValues(party=party.id, name=party.name, values=ranked))
    return ValuesOut(parties=parties, participants=per_person)
