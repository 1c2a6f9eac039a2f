"""Tokens, outcomes and latencies per meeting.

The ledger keeps the running totals of each meeting in memory and hands every change to
an optional :class:`UsageSink` (the service's store), so usage is recorded per meeting
and a meeting's budget survives a restart. Nothing here holds meeting text: counts,
reasons and seconds only.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol


class UsageSink(Protocol):
    """Where usage is persisted. ``load`` returns the stored totals of a meeting."""

    def load(self, meeting_id: str) -> dict[str, int]: ...

    def add(self, meeting_id: str, delta: dict[str, int]) -> None: ...


@dataclass
class MeetingUsage:
    """What the model did for one meeting.

    ``calls``: model calls (each attempt, retries included). ``answered``: reasoner
    calls answered by the model; ``fallbacks``: answered by the local engine instead,
    by reason; ``reused``: of those answered, how many by an earlier accepted reply to
    the same prompt, checked again without a call. ``proposed``/``accepted``/``dropped``:
    items in the model's parsed replies and what validation did with them (``dropped`` by
    reason; a reply that does not parse counts as one dropped item with the reason
    ``invalid``). ``latencies``: seconds per model call, failed ones included (kept in
    memory only).
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    answered: int = 0
    reused: int = 0
    fallbacks: Counter[str] = field(default_factory=Counter)
    proposed: int = 0
    accepted: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    citations_dropped: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def summary(self) -> dict[str, Any]:
        """Shares and latency percentiles, as the bench and the logs report them."""
        results = self.answered + sum(self.fallbacks.values())
        dropped = sum(self.dropped.values())
        lat = sorted(self.latencies)
        return {
            "calls": self.calls,
            "results": results,
            "answered": self.answered,
            "reused": self.reused,
            "fallbacks": sum(self.fallbacks.values()),
            "fallback_reasons": dict(sorted(self.fallbacks.items())),
            "fallback_share": _share(sum(self.fallbacks.values()), results),
            "items_proposed": self.proposed,
            "items_accepted": self.accepted,
            "items_dropped": dropped,
            "drop_reasons": dict(sorted(self.dropped.items())),
            "citations_dropped": dict(sorted(self.citations_dropped.items())),
            "accepted_share": _share(self.accepted, self.proposed),
            "dropped_share": _share(dropped, self.proposed),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_median_s": round(statistics.median(lat), 3) if lat else None,
            "latency_p95_s": round(percentile(lat, 95), 3) if lat else None,
        }

    def merge(self, other: MeetingUsage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.calls += other.calls
        self.answered += other.answered
        self.reused += other.reused
        self.fallbacks.update(other.fallbacks)
        self.proposed += other.proposed
        self.accepted += other.accepted
        self.dropped.update(other.dropped)
        self.citations_dropped.update(other.citations_dropped)
        self.latencies.extend(other.latencies)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (the p95 of 20 values is the 19th)."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, -(-len(sorted_values) * pct // 100))
    return sorted_values[int(rank) - 1]


class UsageLedger:
    """Running usage per meeting, persisted through ``sink`` when one is given."""

    def __init__(self, sink: UsageSink | None = None) -> None:
        self.sink = sink
        self._meetings: dict[str, MeetingUsage] = {}
        self._loaded_tokens: dict[str, int] = {}

    def of(self, meeting_id: str) -> MeetingUsage:
        if meeting_id not in self._meetings:
            self._meetings[meeting_id] = MeetingUsage()
            stored = self.sink.load(meeting_id) if self.sink else {}
            # Tokens spent before a restart still count against the budget.
            self._loaded_tokens[meeting_id] = int(stored.get("prompt_tokens", 0)) + int(
                stored.get("completion_tokens", 0)
            )
        return self._meetings[meeting_id]

    def tokens_used(self, meeting_id: str) -> int:
        usage = self.of(meeting_id)
        return self._loaded_tokens.get(meeting_id, 0) + usage.tokens

    def total(self) -> MeetingUsage:
        """Every meeting of this process together."""
        out = MeetingUsage()
        for u in self._meetings.values():
            out.merge(u)
        return out

    def call(self, meeting_id: str, prompt: int, completion: int, latency: float) -> None:
        u = self.of(meeting_id)
        u.calls += 1
        u.prompt_tokens += prompt
        u.completion_tokens += completion
        u.latencies.append(latency)
        self._persist(
            meeting_id, {"calls": 1, "prompt_tokens": prompt, "completion_tokens": completion}
        )

    def failed_call(self, meeting_id: str, latency: float) -> None:
        """A model call that failed at the transport level (its time still counts)."""
        u = self.of(meeting_id)
        u.calls += 1
        u.latencies.append(latency)
        self._persist(meeting_id, {"calls": 1})

    def items(
        self,
        meeting_id: str,
        proposed: int,
        accepted: int,
        dropped: Counter[str],
        citations_dropped: Counter[str] | None = None,
    ) -> None:
        """What validation did with one parsed reply (or one that did not parse)."""
        u = self.of(meeting_id)
        u.proposed += proposed
        u.accepted += accepted
        u.dropped.update(dropped)
        u.citations_dropped.update(citations_dropped or {})
        self._persist(
            meeting_id,
            {"proposed": proposed, "accepted": accepted, "dropped": sum(dropped.values())},
        )

    def answered_by_model(self, meeting_id: str) -> None:
        """A reasoner call whose result came from the model."""
        self.of(meeting_id).answered += 1
        self._persist(meeting_id, {"answered": 1})

    def reused(self, meeting_id: str) -> None:
        """A reasoner call answered by an earlier reply of the model to the same prompt."""
        u = self.of(meeting_id)
        u.answered += 1
        u.reused += 1
        self._persist(meeting_id, {"answered": 1})

    def fallback(self, meeting_id: str, reason: str) -> None:
        self.of(meeting_id).fallbacks[reason] += 1
        self._persist(meeting_id, {"fallbacks": 1})

    def _persist(self, meeting_id: str, delta: dict[str, int]) -> None:
        if self.sink is not None:
            self.sink.add(meeting_id, delta)
