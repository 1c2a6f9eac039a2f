"""The tracker's look-back window kept between events, and compact point centroids."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agent.analysis import agreements
from agent.analysis.features import Features
from agent.embeddings import get_embedder
from agent.errors import InvalidInput
from agent.graph.builder import build_graph
from agent.graph.state import AgentContext, FeatureWindows
from agent.models import MeetingCreate, UtteranceIn
from agent.reasoner.local import LocalReasoner
from agent.service import open_service
from agent.settings import Settings
from agent.store import repo
from agent.store.db import Database
from tests.conftest import meeting_body

LINES = [
    ("anna", "Goede begeleiding van studenten vinden wij het belangrijkst."),
    ("noor", "Eens, goede begeleiding van studenten is voor ons ook het belangrijkst."),
    ("pim", "Ik ben het er niet mee eens dat begeleiding het probleem is."),
    ("anna", "Voor ons is de werkdruk van docenten het belangrijkste punt."),
    ("noor", "Daar ben ik het mee eens, werkdruk raakt ook de studenten."),
]


def _features(seq: int) -> Features:
    return Features(
        id=f"u{seq}", seq=seq, speaker="anna", party="cvb", step="values", facilitator=False,
        sentences=["x"], question_only=False, asks=False, stance="neutral", agree_cue=False,
        consensus_cue=False, echo_cue=False, contrast=False, sarcasm=False, negations=0,
        injection=False, solution=None, us_them=[], mentions_people=[], mentions_parties=[],
        stems=[],
    )  # fmt: skip


def test_a_window_is_only_handed_out_when_it_ends_right_before_the_next_utterance() -> None:
    windows = FeatureWindows()
    vec = np.zeros(384, dtype=np.float32)
    windows.put("m1", [(_features(s), vec) for s in range(1, 6)])
    assert [f.seq for f, _ in windows.get("m1", 6, size=3) or []] == [3, 4, 5]
    assert windows.get("m1", 7, size=3) is None  # seq 6 was analysed elsewhere
    assert windows.get("m1", 5, size=3) is None  # an event being redone
    assert windows.get("m2", 6, size=3) is None
    windows.forget("m1")
    assert windows.get("m1", 6, size=3) is None


def test_the_oldest_meeting_window_is_let_go_first() -> None:
    windows = FeatureWindows(meetings=2)
    vec = np.zeros(384, dtype=np.float32)
    for mid in ("a", "b", "c"):
        windows.put(mid, [(_features(1), vec)])
    assert windows.get("a", 2, size=3) is None
    assert windows.get("c", 2, size=3) is not None


async def _run(tmp_path: Path, name: str, cold: bool) -> dict[str, Any]:
    ctx = AgentContext(
        db=Database(f"sqlite:///{tmp_path / name}"),
        embedder=get_embedder(),
        reasoner=LocalReasoner(),
    )
    graph = build_graph(InMemorySaver())
    with ctx.db.session() as s:
        mid = repo.create_meeting(s, MeetingCreate.model_validate(meeting_body())).id
    cfg = {"configurable": {"thread_id": mid}}
    state = await graph.ainvoke(
        {"meeting_id": mid, "event": {"kind": "step", "to": "connection"}}, cfg, context=ctx
    )
    for speaker, text in LINES:
        with ctx.db.session() as s:
            (u,) = repo.add_utterances(s, mid, [UtteranceIn(speaker=speaker, text=text)])
        if cold:
            ctx.windows.forget(mid)
        event = {"kind": "utterances", "utterance_ids": [u.id]}
        state = await graph.ainvoke({"meeting_id": mid, "event": event}, cfg, context=ctx)
    return dict(state["tracker"])


async def test_kept_windows_give_the_same_points_as_reading_the_store(tmp_path: Path) -> None:
    warm = await _run(tmp_path, "warm.db", cold=False)
    cold = await _run(tmp_path, "cold.db", cold=True)
    assert warm == cold
    assert any(p["members"] == ["u1", "u2"] for p in warm["points"])
    assert warm["differences"], "the fixture should hold a disagreement too"


async def test_centroids_are_compact_and_older_float_lists_still_read(tmp_path: Path) -> None:
    tracker = await _run(tmp_path, "c.db", cold=False)
    point = tracker["points"][0]
    assert isinstance(point["centroid"], bytes) and len(point["centroid"]) == 384 * 4
    vec = agreements.centroid_of(point)
    assert float(np.linalg.norm(vec)) == pytest.approx(1.0, abs=1e-5)
    legacy = dict(point, centroid=[float(x) for x in vec])
    assert agreements.centroid_of(legacy) == pytest.approx(vec)


def test_warming_stops_between_chunks_when_asked() -> None:
    embedder = get_embedder()
    stop = threading.Event()
    stop.set()
    before = embedder.calls
    embedder.warm([f"Een zin die niemand eerder zei, nummer {i}." for i in range(40)], stop=stop)
    assert embedder.calls == before


async def test_a_refused_batch_does_not_wait_for_its_whole_transcript(tmp_path: Path) -> None:
    texts = [
        f"Regel {i} van een transcript met een onbekende spreker {uuid.uuid4()}."
        for i in range(200)
    ]
    async with open_service(Settings(data_dir=tmp_path)) as service:
        mid = (await service.create_meeting(MeetingCreate.model_validate(meeting_body()))).id
        items = [UtteranceIn(speaker="anna", text=t) for t in texts[:-1]]
        items.append(UtteranceIn(speaker="nobody", text=texts[-1]))
        with pytest.raises(InvalidInput, match="nobody"):
            await service.add_utterances(mid, items)
        assert service.list_utterances(mid) == []
    cached = sum((False, t) in get_embedder()._cache for t in texts)
    assert cached < 64, cached
