"""The one code path into the agent, shared by the API, ``rondetafel demo`` and the evals.

It stores first and then wakes the meeting's graph, under a per-meeting lock, so the
transcript is never lost even when the analysis fails, and events of one meeting are
processed in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph

from agent.embeddings import Embedder, get_embedder
from agent.errors import InvalidInput
from agent.graph.builder import build_graph
from agent.graph.nodes import build_view
from agent.graph.state import AgentContext, Event, MeetingState
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
from agent.settings import Settings
from agent.store import repo
from agent.store.db import Database

log = logging.getLogger(__name__)


class MeetingService:
    """Meetings, transcript and advice. Knows nothing about HTTP."""

    def __init__(
        self,
        db: Database,
        graph: CompiledStateGraph[Any, Any, Any, Any],
        embedder: Embedder,
        reasoner: Reasoner,
    ) -> None:
        self.db = db
        self.graph = graph
        self.context = AgentContext(db=db, embedder=embedder, reasoner=reasoner)
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    @property
    def backend(self) -> str:
        return self.context.reasoner.name

    # ---- graph plumbing ---------------------------------------------------------------

    @staticmethod
    def _config(meeting_id: str) -> RunnableConfig:
        return {"configurable": {"thread_id": meeting_id}}

    async def _run(self, meeting_id: str, event: Event) -> MeetingState:
        graph_input: MeetingState = {"meeting_id": meeting_id, "event": event}
        result = await self.graph.ainvoke(
            graph_input, self._config(meeting_id), context=self.context
        )
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
            with self.db.session() as s:
                stored = repo.add_utterances(s, meeting_id, items)
                repo.audit(
                    s, meeting_id, "facilitator", actor, "utterances.add", {"n": len(stored)}
                )
            await self._run(
                meeting_id, {"kind": "utterances", "utterance_ids": [u.id for u in stored]}
            )
        return stored

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
        """Store a participant's position and let the agent read it."""
        async with self._locks[meeting_id]:
            with self.db.session() as s:
                pos = repo.add_position(s, meeting_id, participant_id, text, filename, media_type)
                repo.audit(
                    s, meeting_id, "participant", participant_id, "position.add", {"id": pos.id}
                )
            await self._run(meeting_id, {"kind": "positions"})
        return pos

    def list_positions(
        self, meeting_id: str, participant_id: str | None = None
    ) -> list[PositionOut]:
        with self.db.session() as s:
            return repo.list_positions(s, meeting_id, participant_id)

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
        answer = ConsultAnswer.model_validate(state["consult"])
        answer.backend = self.backend
        return answer

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
            from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

            checkpointer = await stack.enter_async_context(
                AsyncSqliteSaver.from_conn_string(str(settings.checkpoint_path))
            )
        service = MeetingService(
            db=db,
            graph=build_graph(checkpointer),
            embedder=get_embedder(),
            reasoner=reasoner or LocalReasoner(),
        )
        await service.resume()
        yield service
