"""Garbage-collector settings for a long-running meeting process.

A meeting's derived state is read and rewritten on every utterance, which allocates
many short-lived containers. With Python's default thresholds the cyclic collector ran
often, and each full pass walked every object loaded at start-up as well (the model,
the modules, the schemas): measured on the 1,500-utterance speed benchmark, collections
took 62 ms on average in the slowest tenth of utterances. Freezing what start-up built
and collecting the youngest generation less often removes that tail; reference counting
still frees nearly everything at once, so memory does not grow with it.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)

_applied = False


def apply(gen0: int) -> None:
    """Freeze the start-up heap and set the youngest generation's threshold, once.

    ``gen0`` 0 leaves Python's own policy alone. Called when the service opens; later
    calls (tests open many services in one process) change nothing.
    """
    global _applied
    if _applied or gen0 <= 0:
        return
    _applied = True
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0, gen1, gen2)
    log.info(
        "gc: froze %d start-up objects; threshold %s", gc.get_freeze_count(), gc.get_threshold()
    )
