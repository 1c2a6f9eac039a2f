"""The graph's checkpointer: LangGraph's SQLite saver, keeping one checkpoint per meeting.

The stock saver keeps every checkpoint it ever wrote. A meeting writes one per event, and
its derived state (points, value evidence, advice) weighs a few hundred kilobytes, so a
1,500-utterance meeting left hundreds of megabytes behind, and the growing file made
writes slower. Nothing reads old checkpoints: the transcript and the per-utterance
features live in the store, and ``MeetingService.resume`` redoes an unfinished event
from there. So every few events the service prunes the meeting's thread to its latest
checkpoint, through the checkpointer interface's own ``aprune`` (which the SQLite saver
leaves unimplemented). Measured: a 600-utterance meeting left an 80 MB checkpoint file
with every checkpoint kept, and 2.4 MB pruned.
"""

from __future__ import annotations

from collections.abc import Sequence

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

STRATEGIES = ("keep_latest", "delete")


class PruningSqliteSaver(AsyncSqliteSaver):
    """``AsyncSqliteSaver`` with ``aprune``: keep the latest checkpoint, or delete all."""

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """Prune the threads' checkpoints (and the pending writes of the removed ones).

        ``keep_latest`` keeps, per namespace, the checkpoint ``aget_tuple`` loads: the
        highest id (ids are time-ordered). The graph uses no delta channels, so the latest
        checkpoint holds the whole state.
        """
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy: expected one of {STRATEGIES}, got {strategy!r}")
        await self.setup()
        async with self.lock:
            for thread_id in thread_ids:
                if strategy == "delete":
                    await self.conn.execute(
                        "DELETE FROM checkpoints WHERE thread_id = ?", (str(thread_id),)
                    )
                else:
                    await self.conn.execute(
                        "DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id <> ("
                        " SELECT MAX(c.checkpoint_id) FROM checkpoints c"
                        " WHERE c.thread_id = checkpoints.thread_id"
                        " AND c.checkpoint_ns = checkpoints.checkpoint_ns)",
                        (str(thread_id),),
                    )
                await self.conn.execute(
                    "DELETE FROM writes WHERE thread_id = ? AND NOT EXISTS ("
                    " SELECT 1 FROM checkpoints c WHERE c.thread_id = writes.thread_id"
                    " AND c.checkpoint_ns = writes.checkpoint_ns"
                    " AND c.checkpoint_id = writes.checkpoint_id)",
                    (str(thread_id),),
                )
            await self.conn.commit()


def can_prune(checkpointer: BaseCheckpointSaver) -> bool:
    """Does this checkpointer implement ``aprune`` (the base class only raises)?"""
    return type(checkpointer).aprune is not BaseCheckpointSaver.aprune
