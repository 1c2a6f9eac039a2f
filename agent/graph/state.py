"""The graph's contract: a small typed state and the runtime context.

State holds ids and derived results only. Transcript and position text live in the
store, so a checkpoint never copies the transcript.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypedDict

from agent.analysis.agreements import TrackerState
from agent.embeddings import Embedder
from agent.models import Step
from agent.reasoner.base import Reasoner
from agent.store.db import Database

EventKind = Literal["utterances", "positions", "step", "consult", "synthesize"]


class Event(TypedDict, total=False):
    """What woke the graph: new utterances, positions, a step change, a question."""

    kind: EventKind
    utterance_ids: list[str]
    to: Step
    question: str


class EvidenceRef(TypedDict):
    ref: str  # utterance id, or "position:<id>"
    participant: str
    quote: str
    score: float


class ValueTally(TypedDict):
    score: float
    n: int
    evidence: list[EvidenceRef]


class SignalsState(TypedDict):
    turns: dict[str, int]
    words: dict[str, int]
    last_seq: dict[str, int]
    questioning: dict[str, int]  # "asker>addressee" -> count
    us_them: list[list[str]]  # [utterance id, speaker, span]
    solution_talk: list[list[str]]  # [utterance id, speaker, span]
    utterances: int


def _merge_dict(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    return {**left, **right}


class MeetingState(TypedDict, total=False):
    """Checkpointed per meeting thread (``thread_id`` = meeting id)."""

    meeting_id: str
    step: Step
    event: Event
    processed_seq: int
    tracker: TrackerState
    signals: SignalsState
    # participant id -> value id -> tally; a node returns only the participants it changed
    values: Annotated[dict[str, dict[str, ValueTally]], _merge_dict]
    positions_seen: list[str]
    # question keys already proposed; reducer appends so nothing is ever proposed twice
    asked: Annotated[list[str], operator.add]
    suggestions: dict[str, Any]
    consult: dict[str, Any]


@dataclass(frozen=True)
class AgentContext:
    """Run-scoped dependencies handed to every node through ``Runtime``."""

    db: Database
    embedder: Embedder
    reasoner: Reasoner
