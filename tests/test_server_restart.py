"""A real uvicorn process: stop it, start it again, and the meeting carries on."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import LiveServer, bearer, meeting_body

pytestmark = pytest.mark.slow


def test_meeting_survives_a_restart(live_server: LiveServer) -> None:
    url = live_server.url
    created = httpx.post(f"{url}/meetings", json=meeting_body(), timeout=60).json()
    mid, h = created["id"], bearer(created["facilitator_token"])
    httpx.post(f"{url}/meetings/{mid}/step", json={"to": "connection"}, headers=h, timeout=60)
    r = httpx.post(
        f"{url}/meetings/{mid}/utterances",
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
        timeout=60,
    )
    assert r.status_code == 201
    before = httpx.get(f"{url}/meetings/{mid}/agreements", headers=h, timeout=60).json()
    assert len(before["agreements"]) == 1

    live_server.stop()
    live_server.start()

    meeting = httpx.get(f"{url}/meetings/{mid}", headers=h, timeout=60).json()
    assert meeting["step"] == "connection"
    assert meeting["utterance_count"] == 2
    after = httpx.get(f"{url}/meetings/{mid}/agreements", headers=h, timeout=60).json()
    assert after == before
    sug = httpx.get(f"{url}/meetings/{mid}/suggestions", headers=h, timeout=60).json()
    assert sug["step"] == "connection" and sug["agreements"]
    # The meeting carries on: ids continue and the graph keeps counting.
    r = httpx.post(
        f"{url}/meetings/{mid}/utterances",
        json={
            "speaker": "pim",
            "text": "Daar sluit ik me bij aan, begeleiding van studenten is belangrijk.",
        },
        headers=h,
        timeout=60,
    )
    assert [u["id"] for u in r.json()] == ["u3"]
    sig = httpx.get(f"{url}/meetings/{mid}/signals", headers=h, timeout=60).json()["signals"]
    shares = {s["party"]: s for s in sig if s["kind"] == "speaking_share"}
    assert shares["or"]["turns"] == 2  # anna before the restart, pim after
    assert shares["or"]["share"] + shares["sr"]["share"] == 100
    assert shares["cvb"]["turns"] == 0 and shares["cvb"]["share"] == 0
