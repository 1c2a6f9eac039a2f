"""The graph's contract: a small typed state and the runtime context.

State holds ids and derived results only. Transcript and position text live in the
store, so a checkpoint never copies the transcript.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol, TypedDict

import numpy as np

from agent.analysis.agreements import TrackerState
from agent.analysis.features import Features
from agent.embeddings import Embedder
from agent.models import Step, UtteranceOut
from agent.reasoner.base import Reasoner
from agent.roster import Roster
from agent.store.db import Database

if TYPE_CHECKING:
    from agent.retrieval import Passage

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


class PositionLink(TypedDict):
    """What was said, tied to a passage another party wrote before the meeting."""

    utterance: str
    speaker: str
    position_id: str
    author: str
    quote: str  # the sentence of the position, verbatim
    score: float  # centred cosine between the utterance and that sentence


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
    links: list[PositionLink]  # newest last, bounded
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
    # Position passages close to a text, for this meeting only (None: no position index).
    related: RelatedPassages | None = None
    # Stored utterances never change, so views read each one from the store only once.
    utterances: UtteranceCache = field(default_factory=lambda: UtteranceCache())
    # Meeting set-ups never change either (meeting id -> roster).
    rosters: dict[str, Roster] = field(default_factory=dict)
    # The agreement tracker's look-back window per meeting, kept between events.
    windows: FeatureWindows = field(default_factory=lambda: FeatureWindows())


class UtteranceCache:
    """Utterances already read from the store, per meeting; the oldest are let go first."""

    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, str], UtteranceOut] = OrderedDict()

    def add(self, meeting_id: str, utterances: Iterable[UtteranceOut]) -> None:
        """Remember utterances just stored (committed), newest last."""
        for u in utterances:
            self._items[(meeting_id, u.id)] = u
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def get_many(
        self, meeting_id: str, ids: Iterable[str], load: Callable[[list[str]], list[UtteranceOut]]
    ) -> list[UtteranceOut]:
        """The utterances ``ids`` in meeting order, loading only those not seen before."""
        wanted = list(ids)
        missing = [i for i in wanted if (meeting_id, i) not in self._items]
        self.add(meeting_id, load(missing) if missing else [])
        found = [self._items.get((meeting_id, i)) for i in wanted]
        return sorted((u for u in found if u is not None), key=lambda u: u.seq)


class FeatureWindows:
    """The newest analysed utterances of each meeting, so an event need not reread them.

    A window is only handed out when it ends right before the utterance asked about;
    anything else (a restart, a redone event, another process that analysed in between)
    reads the store instead.
    """

    def __init__(self, meetings: int = 256) -> None:
        self._meetings = meetings
        self._items: OrderedDict[str, list[tuple[Features, np.ndarray]]] = OrderedDict()

    def get(
        self, meeting_id: str, next_seq: int, size: int
    ) -> list[tuple[Features, np.ndarray]] | None:
        """The cached window before ``next_seq``, or None when it may not be complete."""
        window = self._items.get(meeting_id)
        if window is None or not window or window[-1][0].seq != next_seq - 1:
            return None
        self._items.move_to_end(meeting_id)
        return [(f, v) for f, v in window if f.seq >= next_seq - size]

    def put(self, meeting_id: str, window: list[tuple[Features, np.ndarray]]) -> None:
        """Remember ``window`` (oldest first) after it has been stored."""
        self._items[meeting_id] = list(window)
        self._items.move_to_end(meeting_id)
        while len(self._items) > self._meetings:
            self._items.popitem(last=False)

    def forget(self, meeting_id: str) -> None:
        """Drop a meeting's window (its transcript changed outside the normal path)."""
        self._items.pop(meeting_id, None)


class RelatedPassages(Protocol):
    """Retrieval the agent may use: the service's checked search of the position index."""

    async def __call__(self, meeting_id: str, text: str, k: int = 4) -> list[Passage]: ...
