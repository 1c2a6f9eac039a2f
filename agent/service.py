"""The one code path into the agent, shared by the API, ``rondetafel demo`` and the evals.

It stores first and then wakes the meeting's graph, under a per-meeting lock, so the
transcript is never lost even when the analysis fails, and events of one meeting are
processed in order.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import defaultdict
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, cast

import numpy as np
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph

from agent import gc_policy
from agent.analysis.features import sentences_of
from agent.analysis.text import quote_in, split_sentences
from agent.embeddings import Embedder, get_embedder
from agent.errors import InvalidInput, ModelError, NotFound
from agent.events import MeetingEvents, MeetingUpdate, Reason
from agent.graph.builder import build_graph
from agent.graph.nodes import build_view
from agent.graph.state import AgentContext, Event, MeetingState
from agent.llm.events import ConsultEvent
from agent.models import (
    STEPS,
    Agreement,
    ConsultAnswer,
    Difference,
    MeetingCreate,
    MeetingCreated,
    MeetingOut,
    PositionOut,
    Signal,
    Step,
    Suggestions,
    TopicAdvice,
    UtteranceIn,
    UtteranceOut,
    ValueEvidenceOut,
)
from agent.reasoner.base import MeetingView, Reasoner
from agent.reasoner.local import LocalReasoner
from agent.retrieval import (
    Passage,
    PositionIndex,
    embedding_function,
    positions_by_meeting,
    text_sha,
)
from agent.settings import Settings
from agent.store import repo
from agent.store.checkpoints import PruningSqliteSaver, can_prune
from agent.store.db import Database
from agent.synthesis import engine as synthesis
from agent.synthesis.models import ItemPatch, RegenerationReport, SynthesisItemOut, SynthesisOut

log = logging.getLogger(__name__)


class MeetingService:
    """Meetings, transcript and advice. Knows nothing about HTTP."""

    def __init__(
        self,
        db: Database,
        graph: CompiledStateGraph[Any, Any, Any, Any],
        embedder: Embedder,
        reasoner: Reasoner,
        index: PositionIndex | None = None,
        retrieval_per_author: int = 2,
        keep_checkpoint_history: bool = False,
        prune_every: int = 8,
    ) -> None:
        self.db = db
        self.graph = graph
        checkpointer = graph.checkpointer
        if not isinstance(checkpointer, BaseCheckpointSaver):
            raise TypeError("the graph needs a checkpointer: it holds each meeting's state")
        self.checkpointer = checkpointer
        self.prune_checkpoints = not keep_checkpoint_history and can_prune(checkpointer)
        self.prune_every = prune_every  # events per meeting between prunes
        self._unpruned: defaultdict[str, int] = defaultdict(int)
        self.context = AgentContext(
            db=db,
            embedder=embedder,
            reasoner=reasoner,
            related=self.related_passages if index is not None else None,
        )
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        # The position index is derived from the store. Its writes take a lock of their own
        # (after the meeting lock, never before), so a retrieval that must repair the index
        # can run while an event holds the meeting lock.
        self.index = index
        self.retrieval_per_author = retrieval_per_author
        self._index_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._stale_index: set[str] = set()
        self.events = MeetingEvents()

    @property
    def backend(self) -> str:
        return self.context.reasoner.name

    @property
    def model(self) -> str | None:
        """The model of the llm backend, None for the local engine."""
        model = getattr(self.context.reasoner, "model", None)
        return str(model) if model else None

    # ---- graph plumbing ---------------------------------------------------------------

    @staticmethod
    def _config(meeting_id: str) -> RunnableConfig:
        return {"configurable": {"thread_id": meeting_id}}

    async def _run(self, meeting_id: str, event: Event) -> MeetingState:
        graph_input: MeetingState = {"meeting_id": meeting_id, "event": event}
        # One checkpoint per event, written when the run ends, instead of one per step:
        # an event that dies half-way is redone by resume() from the stored transcript.
        result = await self.graph.ainvoke(
            graph_input, self._config(meeting_id), context=self.context, durability="exit"
        )
        reason = _REASONS.get(event["kind"])
        if reason is not None:
            self.events.publish(meeting_id, reason)
        if self.prune_checkpoints:
            # Only the latest checkpoint is ever read (see agent/store/checkpoints.py); one
            # prune per few events keeps that cost off most utterances.
            self._unpruned[meeting_id] += 1
            if self._unpruned[meeting_id] >= self.prune_every:
                await self.checkpointer.aprune([meeting_id])
                self._unpruned[meeting_id] = 0
        return cast(MeetingState, result)

    async def _state(self, meeting_id: str) -> MeetingState:
        snapshot = await self.graph.aget_state(self._config(meeting_id))
        values: MeetingState = dict(snapshot.values)  # type: ignore[assignment]
        values.setdefault("meeting_id", meeting_id)
        return values

    async def _view(self, meeting_id: str) -> MeetingView:
        self.get_meeting(meeting_id)  # 404 before anything else
        return build_view(await self._state(meeting_id), self.context)

    # ---- meetings ---------------------------------------------------------------------

    async def create_meeting(self, setup: MeetingCreate) -> MeetingCreated:
        """Store a meeting and give its graph thread a first piece of advice."""
        with self.db.session() as s:
            created = repo.create_meeting(s, setup)
        async with self._locks[created.id]:
            await self._run(created.id, {"kind": "step", "to": "start"})
        return created

    def get_meeting(self, meeting_id: str) -> MeetingOut:
        with self.db.session() as s:
            return repo.meeting_out(s, meeting_id)

    async def record_frame(
        self, meeting_id: str, text: str, actor: str | None = None
    ) -> MeetingOut:
        """Store the opening and ground rules as agreed; the synthesis cites this later."""
        async with self._locks[meeting_id]:
            with self.db.session() as s:
                repo.set_frame(s, meeting_id, text)
                repo.audit(
                    s, meeting_id, "facilitator", actor, "frame.record", {"chars": len(text)}
                )
        self.events.publish(meeting_id, "frame")
        return self.get_meeting(meeting_id)

    async def change_step(self, meeting_id: str, to: str, actor: str | None = None) -> Suggestions:
        """Move the meeting to a step; the facilitator decides, the agent advises."""
        if to not in STEPS:
            raise InvalidInput(f"unknown step {to!r}; steps are: {', '.join(STEPS)}")
        step = cast(Step, to)
        async with self._locks[meeting_id]:
            with self.db.session() as s:
                repo.set_step(s, meeting_id, step)
                repo.audit(s, meeting_id, "facilitator", actor, "step.change", {"to": step})
            state = await self._run(meeting_id, {"kind": "step", "to": step})
        return Suggestions.model_validate(state["suggestions"])

    # ---- transcript ---------------------------------------------------------------------

    async def add_utterances(
        self, meeting_id: str, items: Sequence[UtteranceIn], actor: str | None = None
    ) -> list[UtteranceOut]:
        """Store a batch (all or nothing), then analyse it in order."""
        if not items:
            raise InvalidInput("items: at least one utterance is needed")
        async with self._locks[meeting_id]:
            # The model call is most of an utterance's cost. It starts now, on the other
            # core (the engine releases the GIL), while the text is stored and the state
            # loaded; the analysis then finds the vectors in the embedder's cache.
            # (run_in_executor submits at once; a to_thread task would wait for an await.)
            stop = threading.Event()
            ahead = asyncio.get_running_loop().run_in_executor(None, self._embed_ahead, items, stop)
            try:
                with self.db.session() as s:
                    stored = repo.add_utterances(s, meeting_id, items)
                    repo.audit(
                        s, meeting_id, "facilitator", actor, "utterances.add", {"n": len(stored)}
                    )
                # Committed rows never change, so the analysis need not read them back.
                self.context.utterances.add(meeting_id, stored)
                await self._run(
                    meeting_id, {"kind": "utterances", "utterance_ids": [u.id for u in stored]}
                )
            except BaseException:
                stop.set()  # a refused batch need not wait for its whole transcript
                raise
            finally:
                await ahead
        return stored

    def _embed_ahead(self, items: Sequence[UtteranceIn], stop: threading.Event) -> None:
        """Fill the embedding cache for ``items``; a failure here is only logged, because
        the analysis embeds whatever is missing itself (and raises if that fails too)."""
        try:
            self.context.embedder.warm(
                [s for it in items for s in sentences_of(it.text)], stop=stop
            )
        except Exception:
            log.warning("embedding ahead of the analysis failed", exc_info=True)

    async def import_transcript(
        self,
        meeting_id: str,
        content: str,
        fmt: str | None = None,
        filename: str | None = None,
        mapping: dict[str, str] | None = None,
    ) -> list[UtteranceOut]:
        """Parse a transcript file, map its speakers, and add it as one batch."""
        from agent import transcripts
        from agent.roster import Roster

        roster = Roster.from_meeting(self.get_meeting(meeting_id))
        kind = fmt or transcripts.detect_format(content, filename)
        lines = transcripts.parse(content, kind)  # type: ignore[arg-type]
        items = transcripts.map_speakers(lines, roster.people, mapping)
        return await self.add_utterances(meeting_id, items)

    def list_utterances(
        self, meeting_id: str, after: str | None = None, limit: int = 100
    ) -> list[UtteranceOut]:
        with self.db.session() as s:
            return repo.list_utterances(s, meeting_id, after=after, limit=limit)

    # ---- positions ------------------------------------------------------------------------

    async def add_position(
        self,
        meeting_id: str,
        participant_id: str,
        text: str,
        filename: str | None = None,
        media_type: str | None = None,
    ) -> PositionOut:
        """Store a participant's first position, index it, and let the agent read it.

        A participant has one current position; a second one is :meth:`replace_position`
        (Conflict here). Raises Conflict once the facilitator has locked positions.
        """
        async with self._locks[meeting_id]:
            with self.db.session() as s:
                pos = repo.add_position(s, meeting_id, participant_id, text, filename, media_type)
            await self._reindex(meeting_id, add=pos)
            await self._run(meeting_id, {"kind": "positions"})
        return pos

    async def replace_position(
        self,
        meeting_id: str,
        participant_id: str,
        text: str,
        filename: str | None = None,
        media_type: str | None = None,
    ) -> tuple[PositionOut, str | None]:
        """Replace the participant's position (or store a first one) as a new version.

        The caller parses and checks the new text first, so a failed upload never gets
        here and the old position stays. Returns the new position and the replaced id.
        """
        async with self._locks[meeting_id]:
            with self.db.session() as s:
                pos, old = repo.replace_position(
                    s, meeting_id, participant_id, text, filename, media_type
                )
            await self._reindex(meeting_id, add=pos, remove=old)
            await self._run(meeting_id, {"kind": "positions"})
        return pos, old

    async def withdraw_position(self, meeting_id: str, participant_id: str) -> str:
        """Withdraw the participant's position: text, chunks and vectors. Returns its id."""
        async with self._locks[meeting_id]:
            with self.db.session() as s:
                pid = repo.withdraw_position(s, meeting_id, participant_id)
            await self._reindex(meeting_id, remove=pid)
            await self._run(meeting_id, {"kind": "positions"})
        return pid

    async def lock_positions(self, meeting_id: str, actor: str | None = None) -> MeetingOut:
        """Close positions for changes (the facilitator's call); idempotent."""
        async with self._locks[meeting_id]:
            with self.db.session() as s:
                if repo.lock_positions(s, meeting_id):
                    repo.audit(s, meeting_id, "facilitator", actor, "positions.lock", {})
        self.events.publish(meeting_id, "positions")
        return self.get_meeting(meeting_id)

    def list_positions(
        self, meeting_id: str, participant_id: str | None = None
    ) -> list[PositionOut]:
        with self.db.session() as s:
            return repo.list_positions(s, meeting_id, participant_id)

    def get_position(self, meeting_id: str, position_id: str) -> PositionOut:
        """A current position by id; NotFound says when it was replaced or withdrawn."""
        with self.db.session() as s:
            repo.get_meeting_row(s, meeting_id)
            pos = repo.get_position(s, meeting_id, position_id)
            if pos is not None:
                return pos
            fate = repo.position_fate(s, meeting_id, position_id)
        if fate and fate[0] == "replaced":
            raise NotFound(f"position {position_id!r} was replaced by {fate[1]}")
        if fate:
            raise NotFound(f"position {position_id!r} was withdrawn")
        raise NotFound(f"position {position_id!r} not found in this meeting")

    async def retrieve(
        self,
        meeting_id: str,
        query: str,
        k: int = 5,
        per_author: int | None = None,
        vector: np.ndarray | None = None,
    ) -> list[Passage]:
        """Position passages of this meeting closest to ``query``, best first.

        At most ``per_author`` passages (default: the setting) come from one participant.
        Every passage is checked against the store before it is returned: its position is
        current and its quote occurs verbatim in the stored text. A hit that fails the
        check marks the index stale; it is repaired and the search runs once more. It takes
        only the index lock (after the meeting lock, never before), so the graph may call it
        while it handles an event.
        """
        if not query.strip():
            raise InvalidInput("query must not be empty")
        if not 1 <= k <= 50:
            raise InvalidInput("k must be between 1 and 50")
        cap = per_author or self.retrieval_per_author
        meeting = self.get_meeting(meeting_id)  # 404 first
        if self.index is None:
            return []
        party_of = {p.id: p.party for p in meeting.participants}
        for attempt in range(2):
            if meeting_id in self._stale_index:
                await self._repair_index(meeting_id)
            current = {p.id: p for p in self.list_positions(meeting_id)}
            if not current:
                return []
            try:
                hits = await asyncio.to_thread(self.index.search, meeting_id, query, k, cap, vector)
            except ModelError:
                raise  # the embeddings endpoint failed: a rebuild would fail the same way
            except Exception:
                if attempt == 1:
                    raise
                log.exception("position index of meeting %s failed a search", meeting_id)
                self._stale_index.add(meeting_id)
                continue
            passages: list[Passage] = []
            for h in hits:
                p = current.get(h.position_id)
                if (
                    p is None
                    or h.text_sha != text_sha(p.text)
                    or p.participant != h.participant
                    or not quote_in(h.text, p.text)
                ):
                    self._stale_index.add(meeting_id)
                    continue
                passages.append(
                    Passage(
                        position_id=h.position_id,
                        participant=h.participant,
                        party=party_of.get(h.participant, ""),
                        quote=h.text,
                        start=h.start,
                        end=h.end,
                        score=h.score,
                    )
                )
            if meeting_id not in self._stale_index or attempt == 1:
                return passages
        return passages

    async def related_passages(self, meeting_id: str, text: str, k: int = 4) -> list[Passage]:
        """Position passages close to what was just said, for the agent's own use.

        With the bundled model the utterance's sentence vectors are already cached, so
        this costs a search and no model call: the passage vectors of the sentences are
        averaged and used as the query.
        """
        if self.index is None or not text.strip() or not self.index.size(meeting_id):
            return []
        vector = None
        if self.index.reuses_passage_vectors:
            sentences = split_sentences(text) or [text.strip()]
            vecs = await asyncio.to_thread(self.context.embedder.passages, sentences)
            mean = vecs.mean(axis=0)
            vector = mean / (float(np.linalg.norm(mean)) or 1.0)
        return await self.retrieve(meeting_id, text, k=k, per_author=1, vector=vector)

    async def _reindex(
        self, meeting_id: str, add: PositionOut | None = None, remove: str | None = None
    ) -> None:
        """Bring the index in step with a change that the store has already committed.

        The store is the truth: an index failure does not undo the participant's upload.
        It marks the meeting's index stale, and the next retrieval or start rebuilds it.
        """
        if self.index is None:
            return
        index = self.index
        async with self._index_locks[meeting_id]:
            try:
                if remove:
                    await asyncio.to_thread(index.remove_position, meeting_id, remove)
                if add:
                    prepared = await asyncio.to_thread(index.prepare, add)
                    await asyncio.to_thread(index.put, meeting_id, prepared)
            except Exception:
                log.exception(
                    "position index of meeting %s could not be updated; it will be rebuilt",
                    meeting_id,
                )
                self._stale_index.add(meeting_id)

    async def _repair_index(self, meeting_id: str) -> None:
        if self.index is None:
            return
        index = self.index
        async with self._index_locks[meeting_id]:
            if meeting_id not in self._stale_index:
                return  # another caller repaired it while we waited
            positions = self.list_positions(meeting_id)
            log.warning(
                "position index of meeting %s is out of step with the store: rebuilding it "
                "(%d position(s))",
                meeting_id,
                len(positions),
            )
            await asyncio.to_thread(index.rebuild_meeting, meeting_id, positions)
            self._stale_index.discard(meeting_id)

    async def resume_positions(self) -> int:
        """Let the agent read positions stored but not yet analysed (after a crash)."""
        with self.db.session() as s:
            meeting_ids = repo.list_meeting_ids(s)
        caught_up = 0
        for mid in meeting_ids:
            seen = set((await self._state(mid)).get("positions_seen", []))
            current = {p.id for p in self.list_positions(mid)}
            if seen != current:
                log.warning("meeting %s: analysing changed positions", mid)
                async with self._locks[mid]:
                    await self._run(mid, {"kind": "positions"})
                caught_up += 1
        return caught_up

    # ---- advice ------------------------------------------------------------------------------

    async def suggestions(self, meeting_id: str) -> Suggestions:
        """The advice for the current step, as last computed."""
        self.get_meeting(meeting_id)
        state = await self._state(meeting_id)
        if "suggestions" not in state:
            async with self._locks[meeting_id]:
                state = await self._run(
                    meeting_id, {"kind": "step", "to": state.get("step", "start")}
                )
        return Suggestions.model_validate(state["suggestions"])

    async def consult(self, meeting_id: str, question: str) -> ConsultAnswer:
        if not question.strip():
            raise InvalidInput("question must not be empty")
        self.get_meeting(meeting_id)
        async with self._locks[meeting_id]:
            state = await self._run(meeting_id, {"kind": "consult", "question": question})
        # The reasoner says which backend answered: the llm backend's answer is "local"
        # with ``fallback`` set when the local engine had to step in.
        return ConsultAnswer.model_validate(state["consult"])

    async def consult_stream(
        self, meeting_id: str, question: str
    ) -> AsyncGenerator[ConsultEvent, None]:
        """The consult answer as events (``started``, ``progress``..., ``answer``).

        Validates the question and the meeting before the first event, so a caller mistake
        is a plain 4xx. The answer is not checkpointed (``consult`` is): a stream reads a
        snapshot of the meeting and holds no lock while the model writes, so the transcript
        keeps flowing. Closing the iterator cancels the model call upstream.
        """
        if not question.strip():
            raise InvalidInput("question must not be empty")
        view = await self._view(meeting_id)
        return self._consult_events(view, question)

    async def _consult_events(
        self, view: MeetingView, question: str
    ) -> AsyncGenerator[ConsultEvent, None]:
        stream = getattr(self.context.reasoner, "answer_stream", None)
        if stream is None:
            yield ConsultEvent(kind="started", backend=self.backend)
            yield ConsultEvent(
                kind="answer", answer=await self.context.reasoner.answer(view, question)
            )
            return
        async for event in stream(view, question):
            yield event

    def llm_usage(self, meeting_id: str) -> dict[str, int]:
        """Tokens and outcomes the llm backend recorded for a meeting (zeros when local)."""
        with self.db.session() as s:
            repo.get_meeting_row(s, meeting_id)
            return repo.llm_usage(s, meeting_id)

    async def agreements(self, meeting_id: str) -> tuple[list[Agreement], list[Difference]]:
        return await self.context.reasoner.describe_agreements(await self._view(meeting_id))

    async def value_map(self, meeting_id: str) -> dict[str, list[ValueEvidenceOut]]:
        return await self.context.reasoner.value_map(await self._view(meeting_id))

    async def topic_advice(self, meeting_id: str) -> TopicAdvice:
        """The topic check and missing parties, over everything said and written so far."""
        self.get_meeting(meeting_id)
        view = build_view(await self._state(meeting_id), self.context, whole_transcript=True)
        return await self.context.reasoner.advise_topic(view)

    async def flagged(self, meeting_id: str) -> dict[str, list[str]]:
        """All utterance ids flagged as us/them language or as solution talk."""
        self.get_meeting(meeting_id)
        signals = (await self._state(meeting_id)).get("signals")
        if not signals:
            return {"us_them": [], "solution_talk": []}
        return {
            "us_them": [row[0] for row in signals["us_them"]],
            "solution_talk": [row[0] for row in signals["solution_talk"]],
        }

    async def signals(self, meeting_id: str) -> list[Signal]:
        return await self.context.reasoner.signals(await self._view(meeting_id))

    # ---- live updates ---------------------------------------------------------------------

    async def update(self, meeting_id: str, reason: Reason) -> MeetingUpdate:
        """The views a live screen shows, as they stand now."""
        suggestions = await self.suggestions(meeting_id)
        view = await self._view(meeting_id)
        agreed, differences = await self.context.reasoner.describe_agreements(view)
        return MeetingUpdate(
            reason=reason,
            step=suggestions.step,
            suggestions=suggestions,
            agreements=agreed,
            differences=differences,
            signals=await self.context.reasoner.signals(view),
        )

    async def watch(
        self, meeting_id: str, heartbeat: float = 15.0
    ) -> AsyncGenerator[MeetingUpdate | None, None]:
        """Updates for a live screen: a snapshot first, then one after each change.

        Yields None after ``heartbeat`` quiet seconds, so the caller can keep its
        connection alive. Changes that arrive while a snapshot is being read are folded
        into the next one; the stream ends when the service closes.
        """
        self.get_meeting(meeting_id)  # 404 before the stream starts
        return self._watch(meeting_id, heartbeat)

    async def _watch(
        self, meeting_id: str, heartbeat: float
    ) -> AsyncGenerator[MeetingUpdate | None, None]:
        with self.events.watch(meeting_id) as watcher:
            yield await self.update(meeting_id, "hello")
            while not watcher.closed:
                reason = await watcher.next(heartbeat)
                if watcher.closed:
                    break
                yield None if reason is None else await self.update(meeting_id, reason)

    # ---- synthesis ------------------------------------------------------------------------------

    async def generate_synthesis(
        self, meeting_id: str, role: str = "facilitator", by: str | None = None
    ) -> RegenerationReport:
        """Write the synthesis now, in any step, and merge it with the team's review so far."""
        self.get_meeting(meeting_id)
        async with self._locks[meeting_id]:
            state = await self._state(meeting_id)
            view = build_view(state, self.context, whole_transcript=True)
            report = await synthesis.generate(
                self.db, self.context.reasoner, view, role=role, by=by
            )
        assert report is not None  # "raise" when shared, never None
        self.events.publish(meeting_id, "synthesis")
        return report

    def get_synthesis(self, meeting_id: str, audience: synthesis.Audience = "team") -> SynthesisOut:
        """The synthesis as ``audience`` may see it (participants: approved and shared only)."""
        with self.db.session() as s:
            return synthesis.read(s, meeting_id, audience)

    async def review_synthesis_item(
        self, meeting_id: str, item_id: str, patch: ItemPatch, role: str
    ) -> SynthesisItemOut:
        """Accept, edit, reject, reopen or comment on one item."""
        async with self._locks[meeting_id]:
            with self.db.session() as s:
                item = synthesis.review(s, meeting_id, item_id, patch, role)
        self.events.publish(meeting_id, "synthesis")
        return item

    async def share_synthesis(self, meeting_id: str, shared: bool = True) -> SynthesisOut:
        """Share the approved synthesis with the participants, or stop sharing it."""
        async with self._locks[meeting_id]:
            with self.db.session() as s:
                out = synthesis.share(s, meeting_id, shared, "facilitator")
        self.events.publish(meeting_id, "synthesis")
        return out

    def export_synthesis(
        self,
        meeting_id: str,
        fmt: synthesis.ExportFormat,
        audience: synthesis.Audience = "team",
    ) -> synthesis.ExportFile:
        """The synthesis as a Markdown or DOCX file; a draft until it is approved."""
        with self.db.session() as s:
            return synthesis.export(s, meeting_id, fmt, audience)

    # ---- recovery -------------------------------------------------------------------------------

    async def resume(self) -> int:
        """Analyse utterances stored but not yet folded into the graph (after a crash)."""
        with self.db.session() as s:
            meeting_ids = repo.list_meeting_ids(s)
        caught_up = 0
        for mid in meeting_ids:
            state = await self._state(mid)
            done = state.get("processed_seq", 0)
            with self.db.session() as s:
                last = repo.max_seq(s, mid)
                pending = repo.utterances_by_seq(s, mid, done + 1, last) if last > done else []
            if pending:
                log.warning("meeting %s: analysing %d pending utterance(s)", mid, len(pending))
                async with self._locks[mid]:
                    await self._run(
                        mid, {"kind": "utterances", "utterance_ids": [u.id for u in pending]}
                    )
                caught_up += len(pending)
        return caught_up


_REASONS: dict[str, Reason] = {
    "utterances": "utterances",
    "step": "step",
    "positions": "positions",
}


class _StoreUsageSink:
    """Persists the llm backend's usage per meeting in the store (counts only)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def load(self, meeting_id: str) -> dict[str, int]:
        with self.db.session() as s:
            return repo.llm_usage(s, meeting_id)

    def add(self, meeting_id: str, delta: dict[str, int]) -> None:
        with self.db.session() as s:
            repo.add_llm_usage(s, meeting_id, delta)


async def _default_reasoner(settings: Settings, db: Database, stack: AsyncExitStack) -> Reasoner:
    """The local engine, or the llm backend when a model is configured."""
    if not settings.llm_enabled:
        return LocalReasoner()
    from agent.reasoner.llm import LLMReasoner

    reasoner = LLMReasoner.from_settings(settings, sink=_StoreUsageSink(db))
    stack.push_async_callback(reasoner.aclose)
    log.info("llm backend: model %s", reasoner.model)
    return reasoner


@asynccontextmanager
async def open_service(
    settings: Settings,
    checkpointer: BaseCheckpointSaver | None = None,
    reasoner: Reasoner | None = None,
) -> AsyncIterator[MeetingService]:
    """Build the service with its store, checkpointer and embedder; close them after."""
    async with AsyncExitStack() as stack:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.resolved_database_url)
        stack.callback(db.dispose)
        if checkpointer is None:
            checkpointer = await stack.enter_async_context(
                PruningSqliteSaver.from_conn_string(str(settings.checkpoint_path))
            )
        embedder = get_embedder()
        index = PositionIndex(
            settings.chroma_path, embedding_function(settings, embedder), settings.chunk_chars
        )
        stack.callback(index.close)
        # A missing, corrupt or out-of-date index is rebuilt from the store (and logged).
        await asyncio.to_thread(index.ensure, lambda: positions_by_meeting(db))
        gc_policy.apply(settings.gc_gen0)
        if reasoner is not None:
            # An injected llm backend records its usage in this store too.
            ledger = getattr(reasoner, "ledger", None)
            if ledger is not None and getattr(ledger, "sink", True) is None:
                ledger.sink = _StoreUsageSink(db)
        service = MeetingService(
            db=db,
            graph=build_graph(checkpointer),
            embedder=embedder,
            reasoner=reasoner or await _default_reasoner(settings, db, stack),
            index=index,
            retrieval_per_author=settings.retrieval_per_author,
            keep_checkpoint_history=settings.keep_checkpoint_history,
            prune_every=settings.checkpoint_prune_every,
        )
        await service.resume()
        await service.resume_positions()
        yield service
