"""A circuit breaker: after repeated endpoint failures, stop calling for a while.

Closed: calls go through; ``failures`` endpoint failures in a row open it. Open: no calls
for ``cooldown`` seconds, so a dead endpoint costs the meeting nothing. Half-open: after
the cooldown one trial call goes through; success closes the breaker, failure opens it
again for another cooldown. Only one trial is in flight at a time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

State = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Per endpoint, shared by every meeting of the process (one event loop, no locks)."""

    def __init__(
        self,
        failures: int = 3,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = failures
        self.cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False
        self.opened = 0  # times the breaker opened, for the logs and the bench

    @property
    def state(self) -> State:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.cooldown:
            return "half_open"
        return "open"

    def allow(self) -> bool:
        """May a call go out now? In half-open state, only the first caller gets a yes."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._trial_in_flight:
            self._trial_in_flight = True
            return True
        return False

    def success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_in_flight = False

    def failure(self) -> None:
        self._trial_in_flight = False
        if self._opened_at is not None:
            # The half-open trial failed: another full cooldown.
            self._opened_at = self._clock()
            self.opened += 1
            return
        self._failures += 1
        if self._failures >= self.threshold:
            self._opened_at = self._clock()
            self.opened += 1

    def release(self) -> None:
        """A trial call ended without a verdict on the endpoint (e.g. it was cancelled)."""
        self._trial_in_flight = False
