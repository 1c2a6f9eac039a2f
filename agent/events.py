"""Change notices per meeting, for screens that follow a meeting live.

The service publishes a notice after every change it has stored and analysed (new
utterances, a step, the frame, positions, the synthesis). A watcher does not get a queue
of every notice: it gets a "something changed, and this was the latest reason" flag, and
reads the meeting's current views when it wakes. A slow screen therefore never falls
behind or grows a backlog, and it always ends on the newest state.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

from agent.models import Agreement, Difference, Signal, Step, Suggestions

Reason = Literal["hello", "utterances", "step", "frame", "positions", "synthesis"]


class MeetingUpdate(BaseModel):
    """What a screen shows after a change: the step's advice, agreements and signals."""

    reason: Reason
    step: Step
    suggestions: Suggestions
    agreements: list[Agreement]
    differences: list[Difference]
    signals: list[Signal]


@dataclass(eq=False)
class Watcher:
    """One screen following one meeting."""

    meeting_id: str
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _reason: Reason | None = None
    _closed: bool = False

    def notify(self, reason: Reason) -> None:
        self._reason = reason
        self._changed.set()

    def close(self) -> None:
        self._closed = True
        self._changed.set()

    @property
    def closed(self) -> bool:
        return self._closed

    async def next(self, timeout: float) -> Reason | None:
        """The latest reason since the last call, or None after ``timeout`` seconds of quiet.

        Several notices between two calls come back as one: the newest reason wins.
        """
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return None
        self._changed.clear()
        reason, self._reason = self._reason, None
        return reason


class MeetingEvents:
    """Who watches which meeting, and the notices they get."""

    def __init__(self) -> None:
        self._watchers: defaultdict[str, set[Watcher]] = defaultdict(set)

    def publish(self, meeting_id: str, reason: Reason) -> None:
        for watcher in self._watchers.get(meeting_id, ()):
            watcher.notify(reason)

    @contextmanager
    def watch(self, meeting_id: str) -> Iterator[Watcher]:
        watcher = Watcher(meeting_id)
        self._watchers[meeting_id].add(watcher)
        try:
            yield watcher
        finally:
            watchers = self._watchers.get(meeting_id)
            if watchers is not None:
                watchers.discard(watcher)
                if not watchers:
                    del self._watchers[meeting_id]

    def watching(self, meeting_id: str) -> int:
        """How many screens follow ``meeting_id`` (for tests and health)."""
        return len(self._watchers.get(meeting_id, ()))

    def close(self) -> None:
        """End every watch, so open streams finish when the server shuts down."""
        for watchers in self._watchers.values():
            for watcher in watchers:
                watcher.close()
