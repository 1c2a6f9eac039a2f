"""The llm backend behind the API and the evals: /health, consult, fallbacks marked in
the API, a meeting that goes on while the model fails, usage per meeting, the streaming
consult endpoint (and a disconnect that cancels the upstream call), ``eval --backend llm``.

Model endpoints are scripted (``tests/llm_fakes.py``); where a real socket matters they
listen on loopback only. Nothing here reaches the network.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from agent.settings import Settings
from api.app import create_app
from evals.runner import run_eval
from tests.conftest import bearer, meeting_body
from tests.llm_fakes import (
    Reply,
    ScriptedEndpoint,
    ThreadServer,
    asgi_app,
    grounded_model,
    status,
)

LINES = [
    {"speaker": "anna", "text": "Voor ons staat de werkdruk van docenten voorop, echt waar."},
    {
        "speaker": "noor",
        "text": "Dat merken wij ook: als een docent uitvalt, valt de begeleiding weg.",
    },
    {"speaker": "pim", "text": "Ik vind de kwaliteit van het onderwijs het allerbelangrijkste."},
]


def _client(settings: Settings, ep: ScriptedEndpoint, **kw: Any) -> TestClient:
    return TestClient(create_app(settings, reasoner=ep.reasoner(**kw)))


@pytest.fixture
def grounded(settings: Settings) -> Iterator[tuple[TestClient, ScriptedEndpoint]]:
    ep = ScriptedEndpoint(grounded_model, model="scripted-model")
    with _client(settings, ep) as c:
        yield c, ep


def _meeting(c: TestClient, step: str = "values") -> tuple[str, dict[str, str]]:
    created = c.post("/meetings", json=meeting_body()).json()
    f = bearer(created["facilitator_token"])
    assert (
        c.post(f"/meetings/{created['id']}/step", headers=f, json={"to": step}).status_code == 200
    )
    r = c.post(f"/meetings/{created['id']}/utterances", headers=f, json={"items": LINES})
    assert r.status_code == 201
    return created["id"], f


def test_health_names_backend_and_model_never_the_key(settings: Settings) -> None:
    ep = ScriptedEndpoint(grounded_model, model="scripted-model")
    reasoner = ep.reasoner()
    with TestClient(create_app(settings, reasoner=reasoner)) as c:
        body = c.get("/health").json()
    assert body["backend"] == "llm" and body["model"] == "scripted-model"
    assert "test-key" not in json.dumps(body)


def test_health_without_a_model_is_local(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["backend"] == "local" and body["model"] is None


def test_consult_answers_from_the_model_and_records_usage(
    grounded: tuple[TestClient, ScriptedEndpoint],
) -> None:
    c, _ = grounded
    mid, f = _meeting(c)
    r = c.post(f"/meetings/{mid}/consult", headers=f, json={"question": "Wat vindt Noor?"})
    assert r.status_code == 200
    answer = r.json()
    assert answer["backend"] == "llm" and answer["fallback"] is False
    assert answer["evidence"] and answer["evidence"][0]["utterance_id"] in ("u1", "u2", "u3")
    questions = c.get(f"/meetings/{mid}/suggestions", headers=f).json()["questions"]
    assert questions and all(q["backend"] == "llm" for q in questions)
    usage = c.app.state.service.llm_usage(mid)  # type: ignore[attr-defined]
    assert usage["calls"] >= 2 and usage["prompt_tokens"] > 0 and usage["answered"] >= 2


def test_a_failing_model_is_marked_as_fallback_and_the_meeting_goes_on(
    settings: Settings,
) -> None:
    ep = ScriptedEndpoint(status(500))
    with _client(settings, ep) as c:
        mid, f = _meeting(c)
        more = [{"speaker": "anna", "text": f"Nog een punt, nummer {i}."} for i in range(5)]
        assert (
            c.post(f"/meetings/{mid}/utterances", headers=f, json={"items": more}).status_code
            == 201
        )
        stored = c.get(f"/meetings/{mid}/utterances", headers=f).json()
        assert len(stored) == len(LINES) + 5  # no utterance lost
        sug = c.get(f"/meetings/{mid}/suggestions", headers=f).json()
        assert sug["questions"] and all(q["fallback"] for q in sug["questions"])
        answer = c.post(f"/meetings/{mid}/consult", headers=f, json={"question": "Wat vindt Anna?"})
        assert answer.json()["backend"] == "local" and answer.json()["fallback"] is True
        usage = c.app.state.service.llm_usage(mid)  # type: ignore[attr-defined]
        assert usage["fallbacks"] >= 2 and usage["answered"] == 0
    # The breaker opened after three failures: far fewer requests than advice rounds.
    assert len(ep.requests) <= 4


def _events(raw: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for block in raw.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        out.append((fields["event"], json.loads(fields["data"])))
    return out


def test_consult_streams_progress_then_the_checked_answer(settings: Settings) -> None:
    answer = {
        "answer": "P2 zet de werkdruk van docenten voorop.",
        "evidence": [{"source": "u1", "quote": "de werkdruk van docenten voorop"}],
    }
    ep = ScriptedEndpoint(
        lambda body: (
            Reply(content=answer, chunks=8, chunk_delay=0.1)
            if body["response_format"].get("json_schema", {}).get("name") == "consult"
            else grounded_model(body)
        )
    )
    with _client(settings, ep) as c:
        mid, f = _meeting(c)
        with c.stream(
            "POST",
            f"/meetings/{mid}/consult/stream",
            headers=f,
            json={"question": "Wat vindt Anna?"},
        ) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            raw = "".join(r.iter_text())
    events = _events(raw)
    kinds = [k for k, _ in events]
    assert kinds[0] == "started" and kinds[-1] == "answer" and "progress" in kinds
    final = events[-1][1]["answer"]
    assert (
        final["backend"] == "llm" and final["answer"] == "Anna zet de werkdruk van docenten voorop."
    )
    # Progress carries counts only: the model's unchecked words never stream.
    assert all(set(d) == {"kind", "chars"} for k, d in events if k == "progress")


def test_stream_caller_mistakes_are_plain_errors(
    grounded: tuple[TestClient, ScriptedEndpoint],
) -> None:
    c, _ = grounded
    mid, f = _meeting(c)
    url = f"/meetings/{mid}/consult/stream"
    assert c.post(url, headers=f, json={"question": ""}).status_code == 422
    assert c.post(url, headers=f, json={"question": "   "}).status_code == 422
    assert c.post(url, json={"question": "x"}).status_code == 401
    other = c.post("/meetings", json=meeting_body()).json()
    assert (
        c.post(
            f"/meetings/{other['id']}/consult/stream", headers=f, json={"question": "x"}
        ).status_code
        == 404
    )
    reviewer = bearer(c.post("/meetings", json=meeting_body()).json()["reviewer_token"])
    assert c.post(url, headers=reviewer, json={"question": "x"}).status_code in (403, 404)


def test_stream_without_a_model_gives_the_local_answer(client: TestClient) -> None:
    mid, f = _meeting(client)
    r = client.post(f"/meetings/{mid}/consult/stream", headers=f, json={"question": "Wie is stil?"})
    kinds = [k for k, _ in _events(r.text)]
    assert kinds == ["started", "answer"]


@pytest.mark.slow
def test_a_client_that_disconnects_cancels_the_upstream_call(settings: Settings) -> None:
    slow = {
        "answer": "P2 zet de werkdruk van docenten voorop. " * 20,
        "evidence": [{"source": "u1", "quote": "de werkdruk van docenten voorop"}],
    }
    ep = ScriptedEndpoint(
        lambda body: (
            Reply(content=slow, chunks=100, chunk_delay=0.1)
            if body["response_format"].get("json_schema", {}).get("name") == "consult"
            else grounded_model(body)
        )
    )
    app = create_app(settings, reasoner=ep.reasoner(timeout=60))
    with ThreadServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        created = http.post("/meetings", json=meeting_body()).json()
        mid, f = created["id"], bearer(created["facilitator_token"])
        http.post(f"/meetings/{mid}/utterances", headers=f, json={"items": LINES})
        ep.chunks_sent, ep.closed, ep.closed_early = 0, False, False
        with http.stream(
            "POST",
            f"/meetings/{mid}/consult/stream",
            headers=f,
            json={"question": "Wat vindt Anna?"},
        ) as r:
            for line in r.iter_lines():
                if line == "event: progress":
                    break  # the facilitator closes the panel mid-answer
        deadline = time.monotonic() + 10
        while not ep.closed and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ep.closed_early, "the upstream stream was not cancelled"
        assert ep.chunks_sent < 100
        # The meeting goes on.
        assert http.get(f"/meetings/{mid}/utterances", headers=f).status_code == 200


# ---- rondetafel eval --backend llm ---------------------------------------------------------

TINY = """
format: 1
id: tiny-llm
language: nl
topic: {title: "Begroting 2027", kind: budget, goal: "Samen de uitgangspunten verkennen"}
parties:
  - {id: cvb, name: "College van Bestuur"}
  - {id: or, name: "Ondernemingsraad"}
  - {id: sr, name: "Studentenraad"}
participants:
  - {id: henk, name: "Henk Jansen", party: cvb, role: facilitator}
  - {id: anna, name: "Anna de Vries", party: or}
  - {id: noor, name: "Noor Bakker", party: sr}
transcript:
  - step: values
  - {id: u1, speaker: anna, text: "Voor ons staat de werkdruk van docenten voorop."}
  - {id: u2, speaker: noor, text: "Dat merken wij ook: valt een docent uit, dan stopt het."}
  - step: connection
  - {id: u3, speaker: anna, text: "Dan zijn we het eens dat de begeleiding van studenten telt."}
expect:
  agreements:
    - {id: a1, about: "Werkdruk raakt de begeleiding", parties: [or, sr], evidence: [u1, u2]}
"""


async def test_eval_with_the_llm_backend_reports_the_same_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY, encoding="utf-8")
    for key in ("RONDETAFEL_LLM_BASE_URL", "RONDETAFEL_LLM_MODEL", "OPENAI_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    assert await run_eval([scenario], backend="llm") == 2
    assert "RONDETAFEL_LLM_MODEL" in capsys.readouterr().err

    ep = ScriptedEndpoint(grounded_model)
    with ThreadServer(asgi_app(ep)) as server:
        monkeypatch.setenv("RONDETAFEL_LLM_BASE_URL", f"{server.url}/v1")
        monkeypatch.setenv("RONDETAFEL_LLM_MODEL", "scripted")
        local_json, llm_json = tmp_path / "local.json", tmp_path / "llm.json"
        assert await run_eval([scenario], backend="local", json_out=local_json) == 0
        assert ep.requests == []  # a local run never calls the model, even when one is set
        assert await run_eval([scenario], backend="llm", json_out=llm_json) == 0
        assert ep.requests  # the llm run did
    local, llm = json.loads(local_json.read_text()), json.loads(llm_json.read_text())
    assert (local["backend"], llm["backend"]) == ("local", "llm")
    assert set(local["overall"]) == set(llm["overall"])
    assert llm["overall"]["grounding_valid_rate"] in (None, 1.0)


def test_the_llm_bench_reports_shares_and_latencies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from evals.bench import llm as bench

    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY, encoding="utf-8")
    out = tmp_path / "bench.json"
    ep = ScriptedEndpoint(grounded_model)
    with ThreadServer(asgi_app(ep)) as server:
        code = bench.main(
            ["--base-url", f"{server.url}/v1", "--scenario", str(scenario), "--json", str(out)]
        )
    assert code == 0
    printed = capsys.readouterr().out
    assert "latency median" in printed and "accepted" in printed and "fell back" in printed
    report = json.loads(out.read_text())
    u = report["usage"]
    assert u["calls"] == len(ep.requests) > 0
    assert u["results"] == u["answered"] + u["fallbacks"]
    assert u["latency_median_s"] is not None and u["latency_p95_s"] >= u["latency_median_s"]
    assert report["citations_valid"] == report["citations"]
    assert report["utterances_stored"] == report["utterances_sent"] == 3
