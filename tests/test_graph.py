"""The graph compiled fresh with an in-memory checkpointer."""

from __future__ import annotations

from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agent.embeddings import get_embedder
from agent.graph import nodes
from agent.graph.builder import build_graph
from agent.graph.state import AgentContext
from agent.models import MeetingCreate, UtteranceIn
from agent.reasoner.local import LocalReasoner
from agent.store import repo
from agent.store.db import Database
from tests.conftest import meeting_body


@pytest.fixture
def ctx(tmp_path: Path) -> AgentContext:
    return AgentContext(
        db=Database(f"sqlite:///{tmp_path / 'g.db'}"),
        embedder=get_embedder(),
        reasoner=LocalReasoner(),
    )


def test_routes_return_the_declared_literals() -> None:
    assert nodes.route_event({"event": {"kind": "utterances"}}) == "analyse_utterances"
    assert nodes.route_event({"event": {"kind": "positions"}}) == "analyse_positions"
    assert nodes.route_event({"event": {"kind": "consult"}}) == "answer_consult"
    assert nodes.route_event({"event": {"kind": "step", "to": "values"}}) == "change_step"
    assert nodes.route_step({"step": "connection"}) == "advise_connection"
    assert nodes.route_step({}) == "advise_start"


async def test_events_flow_through_the_graph(ctx: AgentContext) -> None:
    graph = build_graph(InMemorySaver())
    with ctx.db.session() as s:
        mid = repo.create_meeting(s, MeetingCreate.model_validate(meeting_body())).id
    cfg = {"configurable": {"thread_id": mid}}
    state = await graph.ainvoke(
        {"meeting_id": mid, "event": {"kind": "step", "to": "values"}}, cfg, context=ctx
    )
    assert state["step"] == "values"
    assert state["suggestions"]["step"] == "values"
    with ctx.db.session() as s:
        stored = repo.add_utterances(
            s,
            mid,
            [
                UtteranceIn(
                    speaker="anna",
                    text="Goede begeleiding van studenten vinden wij het belangrijkst.",
                ),
                UtteranceIn(
                    speaker="noor",
                    text="Eens, goede begeleiding van studenten is voor ons ook het belangrijkst.",
                ),
            ],
        )
    state = await graph.ainvoke(
        {
            "meeting_id": mid,
            "event": {"kind": "utterances", "utterance_ids": [u.id for u in stored]},
        },
        cfg,
        context=ctx,
    )
    assert state["processed_seq"] == 2
    assert state["signals"]["turns"] == {"anna": 1, "noor": 1}
    points = state["tracker"]["points"]
    assert [sorted(p["members"]) for p in points] == [["u1", "u2"]]
    # The state holds ids and derived results, never the transcript text.
    assert "begeleiding" not in str(
        {k: v for k, v in state.items() if k not in ("suggestions", "values")}
    )
    # Re-sending the same event is idempotent: nothing is processed twice.
    again = await graph.ainvoke(
        {"meeting_id": mid, "event": {"kind": "utterances", "utterance_ids": ["u1", "u2"]}},
        cfg,
        context=ctx,
    )
    assert again["signals"]["turns"] == {"anna": 1, "noor": 1}
