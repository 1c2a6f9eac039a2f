"""Only each meeting's latest graph checkpoint is kept, and the meeting loses nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from agent.models import MeetingCreate, UtteranceIn
from agent.service import open_service
from agent.settings import Settings
from agent.store.checkpoints import PruningSqliteSaver
from tests.conftest import meeting_body

LINES = [
    ("anna", "Goede begeleiding van studenten vinden wij het belangrijkst."),
    ("noor", "Eens, goede begeleiding van studenten is voor ons ook het belangrijkst."),
    ("pim", "Ik ben het er niet mee eens dat begeleiding het probleem is."),
    ("anna", "Voor ons is de werkdruk van docenten het belangrijkste punt."),
]


def _rows(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


async def _meeting(tmp_path: Path, keep_history: bool) -> tuple[dict[str, Any], int]:
    settings = Settings(
        data_dir=tmp_path, keep_checkpoint_history=keep_history, checkpoint_prune_every=1
    )
    async with open_service(settings) as service:
        mid = (await service.create_meeting(MeetingCreate.model_validate(meeting_body()))).id
        await service.change_step(mid, "values")
        for speaker, text in LINES:
            await service.add_utterances(mid, [UtteranceIn(speaker=speaker, text=text)])
        await service.change_step(mid, "connection")
        state = dict(await service._state(mid))
    return state, _rows(settings.checkpoint_path, "checkpoints")


async def test_a_meeting_keeps_one_checkpoint_with_the_whole_state(tmp_path: Path) -> None:
    pruned, kept = await _meeting(tmp_path / "pruned", keep_history=False)
    history, all_rows = await _meeting(tmp_path / "history", keep_history=True)
    assert kept == 1
    assert all_rows >= len(LINES) + 3
    for key in ("processed_seq", "tracker", "signals", "values", "asked", "suggestions"):
        assert pruned[key] == history[key], key
    assert pruned["asked"], "the values step should have proposed questions"


async def test_a_meeting_never_holds_more_checkpoints_than_events_between_prunes(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    async with open_service(settings) as service:
        mid = (await service.create_meeting(MeetingCreate.model_validate(meeting_body()))).id
        counts = []
        for i in range(2 * service.prune_every + 1):
            await service.add_utterances(mid, [UtteranceIn(speaker="anna", text=f"Punt {i}.")])
            counts.append(_rows(settings.checkpoint_path, "checkpoints"))
    assert max(counts) == service.prune_every
    assert min(counts) == 1


async def test_the_meeting_carries_on_after_a_restart_from_the_pruned_store(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    async with open_service(settings) as service:
        service.prune_every = 1
        mid = (await service.create_meeting(MeetingCreate.model_validate(meeting_body()))).id
        await service.change_step(mid, "connection")
        for speaker, text in LINES[:2]:
            await service.add_utterances(mid, [UtteranceIn(speaker=speaker, text=text)])
    async with open_service(settings) as service:
        service.prune_every = 1
        await service.add_utterances(mid, [UtteranceIn(speaker=LINES[2][0], text=LINES[2][1])])
        state = await service._state(mid)
    assert state["processed_seq"] == 3
    assert [p["members"] for p in state["tracker"]["points"]] == [["u1", "u2"]]
    assert _rows(settings.checkpoint_path, "checkpoints") == 1


async def test_prune_deletes_a_thread_and_refuses_an_unknown_strategy(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    async with open_service(settings) as service:
        first = (await service.create_meeting(MeetingCreate.model_validate(meeting_body()))).id
        second = (await service.create_meeting(MeetingCreate.model_validate(meeting_body()))).id
        saver = service.checkpointer
        assert isinstance(saver, PruningSqliteSaver)
        with pytest.raises(ValueError, match="strategy"):
            await saver.aprune([first], strategy="everything")
        await saver.aprune([first], strategy="delete")
        gone = await service.graph.aget_state({"configurable": {"thread_id": first}})
        assert gone.values == {}
        assert (await service._state(second))["step"] == "start"
    with sqlite3.connect(settings.checkpoint_path) as conn:
        threads = {r[0] for r in conn.execute("SELECT thread_id FROM checkpoints")}
    assert threads == {second}
