"""Feed a scripted scenario to the agent exactly as a live meeting would.

Creates the meeting, uploads the positions, then sends the transcript items one by one
through :class:`agent.service.MeetingService`, the same code path the API uses. The
gold labels (``expect``) are never read here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from agent.models import (
    MeetingCreate,
    ParticipantIn,
    PartyIn,
    Suggestions,
    Topic,
    TopicAdvice,
    UtteranceIn,
)
from agent.service import MeetingService
from evals.scenario import Scenario, StepItem, UtteranceItem


@dataclass
class Played:
    """Everything the agent showed during one scenario."""

    meeting_id: str
    position_ids: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (who, text)
    advice: list[tuple[str, str | None, Suggestions]] = field(default_factory=list)
    # (step, last utterance id or None, suggestions)
    final_topic: TopicAdvice | None = None


Progress = Callable[[int, int, str], None]


async def play(
    scenario: Scenario, service: MeetingService, progress: Progress | None = None
) -> Played:
    """Play ``scenario`` through ``service``; return what the agent advised along the way."""
    setup = MeetingCreate(
        topic=Topic(
            title=scenario.topic.title,
            kind=scenario.topic.kind,
            goal=scenario.topic.goal or scenario.topic.title,
        ),
        language=scenario.language,
        parties=[PartyIn(id=p.id, name=p.name) for p in scenario.parties],
        participants=[
            ParticipantIn(id=p.id, name=p.name, party=p.party, role=p.role or "participant")
            for p in scenario.participants
        ],
    )
    created = await service.create_meeting(setup)
    mid = created.id
    played = Played(meeting_id=mid)
    for pos in scenario.positions:
        stored = await service.add_position(mid, pos.participant, pos.text)
        played.position_ids[stored.id] = (pos.participant, pos.text)
    played.advice.append(("start", None, await service.suggestions(mid)))
    total = len(scenario.transcript)
    for i, item in enumerate(scenario.transcript, start=1):
        if isinstance(item, StepItem):
            sug = await service.change_step(mid, item.step)
            played.advice.append((item.step, None, sug))
            label = f"step -> {item.step}"
        else:
            assert isinstance(item, UtteranceItem)
            await service.add_utterances(
                mid, [UtteranceIn(id=item.id, speaker=item.speaker, text=item.text)]
            )
            sug = await service.suggestions(mid)
            played.advice.append((sug.step, item.id, sug))
            label = item.id
        if progress:
            progress(i, total, label)
    played.final_topic = await service.topic_advice(mid)
    return played
