"""The pages against a real uvicorn process: the token stays out of its log, and the
session cookie opens the event stream."""

from __future__ import annotations

import json

import httpx
import pytest

from api.web.session import COOKIE
from tests.conftest import LiveServer, meeting_body

pytestmark = pytest.mark.slow


def test_token_never_reaches_the_access_log_and_the_cookie_opens_the_stream(
    live_server: LiveServer,
) -> None:
    url = live_server.url
    created = httpx.post(f"{url}/meetings", json=meeting_body("en"), timeout=60).json()
    mid, token = created["id"], created["facilitator_token"]
    with httpx.Client(base_url=url, timeout=60) as browser:
        r = browser.get(f"/m/{mid}", params={"token": token}, follow_redirects=False)
        assert r.status_code == 303
        # A second, bad link is logged too, and redacted the same way.
        assert browser.get(f"/m/{mid}?token=wrong-{token[:6]}&x=1").status_code == 401
        browser.cookies.set(COOKIE, token, path=f"/meetings/{mid}")
        with browser.stream("GET", f"/meetings/{mid}/events") as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines: list[str] = []
            for line in stream.iter_lines():
                lines.append(line)
                if line.startswith("data: "):
                    break
        assert "event: update" in lines
        first = json.loads(lines[-1].removeprefix("data: "))
        assert first["reason"] == "hello" and first["step"] == "start"
    live_server.stop()
    log = live_server.log.read_text()
    assert f"GET /m/{mid}?token=[redacted] HTTP/1.1" in log
    assert f"GET /m/{mid}?token=[redacted]&x=1 HTTP/1.1" in log
    assert token not in log and token[:6] not in log
    assert f"GET /meetings/{mid}/events HTTP/1.1" in log
