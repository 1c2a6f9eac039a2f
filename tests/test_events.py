"""The live event stream: notices coalesce, snapshots follow changes, roles hold, stops end."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from agent.events import MeetingEvents
from tests.conftest import LiveServer, bearer, meeting_body

# ---- notices ------------------------------------------------------------------------------


async def test_notices_coalesce_and_the_newest_reason_wins() -> None:
    events = MeetingEvents()
    with events.watch("m1") as watcher, events.watch("m2") as other:
        assert events.watching("m1") == 1
        events.publish("m1", "utterances")
        events.publish("m1", "step")
        assert await watcher.next(timeout=1) == "step"
        assert await watcher.next(timeout=0.05) is None  # nothing new: a heartbeat
        assert await other.next(timeout=0.05) is None  # another meeting heard nothing
    assert events.watching("m1") == 0


async def test_close_ends_every_watch() -> None:
    events = MeetingEvents()
    with events.watch("m1") as watcher:
        waiting = asyncio.create_task(watcher.next(timeout=10))
        await asyncio.sleep(0)
        events.close()
        await asyncio.wait_for(waiting, 1)
        assert watcher.closed


# ---- roles (errors come before the stream starts) -----------------------------------------


def test_only_the_facilitator_of_this_meeting_may_follow_it(client: TestClient) -> None:
    mine = client.post("/meetings", json=meeting_body()).json()
    other = client.post("/meetings", json=meeting_body()).json()
    path = f"/meetings/{mine['id']}/events"
    assert client.get(path).status_code == 401
    assert client.get(path, headers=bearer(mine["reviewer_token"])).status_code == 403
    assert client.get(path, headers=bearer(mine["invites"]["anna"])).status_code == 403
    r = client.get(f"/meetings/{other['id']}/events", headers=bearer(mine["facilitator_token"]))
    assert r.status_code == 404


# ---- a real server ---------------------------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(
        tmp_path / "data",
        env={"RONDETAFEL_EVENTS_HEARTBEAT_S": "0.5", "RONDETAFEL_SHUTDOWN_GRACE_S": "2"},
    )
    live.start()
    try:
        yield live
    finally:
        live.stop()


async def messages(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """Parse ``text/event-stream``: yields ``{"ping": True}`` or ``{"event", "id", "data"}``."""
    fields: dict[str, Any] = {}
    async for line in response.aiter_lines():
        if line.startswith(":"):
            yield {"ping": True}
        elif line == "":
            if fields:
                yield fields
                fields = {}
        else:
            key, _, value = line.partition(": ")
            fields[key] = json.loads(value) if key == "data" else value


async def next_update(stream: AsyncIterator[dict[str, Any]]) -> dict[str, Any]:
    async for message in stream:
        if "ping" not in message:
            assert message["event"] == "update"
            return message
    raise AssertionError("the stream ended")


@pytest.mark.slow
async def test_a_screen_sees_each_change_without_asking(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        created = (await http.post("/meetings", json=meeting_body())).json()
        mid, h = created["id"], bearer(created["facilitator_token"])
        async with http.stream("GET", f"/meetings/{mid}/events", headers=h) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            stream = messages(response)
            hello = await next_update(stream)
            assert hello["id"] == "1"
            assert hello["data"]["reason"] == "hello" and hello["data"]["step"] == "start"
            assert set(hello["data"]) == {"reason", "step", "suggestions", "agreements", "signals"}
            assert hello["data"]["agreements"] == {"agreements": [], "differences": []}

            r = await http.post(f"/meetings/{mid}/step", json={"to": "connection"}, headers=h)
            assert r.status_code == 200
            moved = await next_update(stream)
            assert moved["data"]["reason"] == "step" and moved["data"]["step"] == "connection"
            assert moved["data"]["suggestions"]["step"] == "connection"

            r = await http.post(
                f"/meetings/{mid}/utterances",
                json={
                    "items": [
                        {
                            "speaker": "anna",
                            "text": "Goede begeleiding van studenten vinden wij het belangrijkst.",
                        },
                        {
                            "speaker": "noor",
                            "text": "Eens, goede begeleiding van studenten is voor ons ook "
                            "het belangrijkst.",
                        },
                    ]
                },
                headers=h,
            )
            assert r.status_code == 201
            said = await next_update(stream)
            assert said["data"]["reason"] == "utterances"
            assert int(said["id"]) > int(moved["id"])
            points = said["data"]["agreements"]["agreements"]
            assert len(points) == 1
            quotes = {e["utterance_id"] for e in points[0]["evidence"]}
            assert quotes == {"u1", "u2"}
            # The snapshot is what the REST views say at that moment.
            rest = (await http.get(f"/meetings/{mid}/agreements", headers=h)).json()
            assert said["data"]["agreements"] == rest
            kinds = {s["kind"] for s in said["data"]["signals"]["signals"]}
            assert "speaking_share" in kinds

            # Quiet: the server keeps the connection alive with pings.
            async for message in stream:
                assert "ping" in message
                break


@pytest.mark.slow
def test_a_stop_does_not_wait_for_open_screens(server: LiveServer) -> None:
    created = httpx.post(f"{server.url}/meetings", json=meeting_body(), timeout=60).json()
    h = bearer(created["facilitator_token"])
    with httpx.stream(
        "GET", f"{server.url}/meetings/{created['id']}/events", headers=h, timeout=60
    ) as response:
        assert response.status_code == 200
        next(response.iter_lines())  # the stream is open and the snapshot is on its way
        started = time.monotonic()
        server.stop()
        assert server.proc is None
        assert time.monotonic() - started < 15
