"""``rondetafel eval``: play scenarios, collect what the agent showed, score it."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from agent.analysis.questions import check_question, contains_solution
from agent.analysis.text import quote_in
from agent.errors import ConfigurationError
from agent.models import Citation as AgentCitation
from agent.models import Suggestions
from agent.service import MeetingService, open_service
from agent.settings import Settings
from evals.metrics import (
    Citation,
    PredictedAgreement,
    Predictions,
    QuestionResult,
    ScenarioMetrics,
    pool,
    score_scenario,
)
from evals.play import Played, play
from evals.report import format_table, to_json
from evals.scenario import Scenario, UtteranceItem, load_scenarios


def _texts(scenario: Scenario, played: Played) -> dict[str, tuple[str, str]]:
    """ref -> (participant, text) for everything in this meeting."""
    out = {u.id: (u.speaker, u.text) for u in scenario.utterances()}
    out.update({f"position:{pid}": v for pid, v in played.position_ids.items()})
    return out


def _check_citation(c: AgentCitation, texts: dict[str, tuple[str, str]]) -> Citation:
    ref = c.ref
    source = texts.get(ref)
    valid = source is not None and source[0] == c.participant and quote_in(c.quote, source[1])
    return Citation(ref=ref, quote=c.quote, valid=valid)


def _own_words_until(scenario: Scenario, participant: str, last_utterance: str | None) -> list[str]:
    words = [p.text for p in scenario.positions if p.participant == participant]
    for item in scenario.transcript:
        if isinstance(item, UtteranceItem):
            if item.speaker == participant:
                words.append(item.text)
            if item.id == last_utterance:
                break
    return words


def _all_citations(sug: Suggestions) -> list[AgentCitation]:
    cites: list[AgentCitation] = [c for item in sug.items for c in item.citations]
    cites += [q.grounded_in for q in sug.questions]
    for a in sug.agreements:
        cites += [e.citation() for e in a.evidence]
    for d in sug.differences:
        cites += [e.citation() for side in d.sides for e in side.evidence]
    if sug.topic:
        cites += [c for m in sug.topic.missing_parties for c in m.evidence]
    return cites


def _step_violations(sug: Suggestions, language: str) -> int:
    """Solution proposals from the agent in the values step; differences before agreements."""
    if sug.step == "values":
        texts = [q.text for q in sug.questions] + [i.text for i in sug.items]
        # Quoting a participant's own proposal is not proposing it (quotes are excluded).
        return sum(1 for t in texts if contains_solution(t, language))
    if sug.step == "connection":
        kinds = [i.kind for i in sug.items if i.kind in ("agreement", "difference")]
        first_diff = kinds.index("difference") if "difference" in kinds else len(kinds)
        return int("agreement" in kinds[first_diff:])
    return 0


async def collect(scenario: Scenario, service: MeetingService, quiet: bool = False) -> Predictions:
    """Play one scenario and turn what the agent showed into :class:`Predictions`."""

    live = sys.stderr.isatty()

    def progress(i: int, n: int, label: str) -> None:
        # A live counter on a terminal; one line per scenario in a log (CI).
        if not quiet and live:
            print(f"\r  {scenario.id}: {i}/{n} {label:<20}", end="", file=sys.stderr, flush=True)
        elif not quiet and i == n:
            print(f"  {scenario.id}: {n} items played", end="", file=sys.stderr, flush=True)

    played = await play(scenario, service, progress)
    if not quiet:
        print(file=sys.stderr)
    mid = played.meeting_id
    texts = _texts(scenario, played)
    lang = scenario.language
    people = {p.id: p for p in scenario.participants}
    party_names = {p.id: p.name for p in scenario.parties}

    citations: list[Citation] = []
    questions: dict[str, QuestionResult] = {}
    violations = 0
    topic_suitable: bool | None = None
    missing: list[str] = []
    for step, last_uid, sug in played.advice:
        citations += [_check_citation(c, texts) for c in _all_citations(sug)]
        violations += _step_violations(sug, lang)
        if step == "start" and sug.topic is not None:
            topic_suitable = sug.topic.suitable
            missing += [m.name for m in sug.topic.missing_parties]
        if step == "values":
            for q in sug.questions:
                if q.id in questions:
                    continue
                person = people[q.addressee]
                check = check_question(
                    q.text,
                    lang,
                    [person.name, person.name.split()[0], party_names[person.party]],
                    _own_words_until(scenario, q.addressee, last_uid),
                )
                questions[q.id] = QuestionResult(q.text, check.passed, tuple(check.failures))
    if played.final_topic is not None:
        missing += [m.name for m in played.final_topic.missing_parties]
        citations += [
            _check_citation(c, texts)
            for m in played.final_topic.missing_parties
            for c in m.evidence
        ]

    agreed, _ = await service.agreements(mid)
    for a in agreed:
        citations += [
            _check_citation(
                e.citation(),
                texts,
            )
            for e in a.evidence
        ]
    value_map = await service.value_map(mid)
    for entries in value_map.values():
        for v in entries:
            citations += [_check_citation(c, texts) for c in v.evidence]
    flagged = await service.flagged(mid)
    return Predictions(
        topic_suitable=topic_suitable,
        missing_parties=tuple(dict.fromkeys(missing)),
        values={pid: tuple(v.value for v in vs) for pid, vs in value_map.items()},
        agreements=tuple(
            PredictedAgreement(id=a.id, evidence=tuple(e.utterance_id for e in a.evidence))
            for a in agreed
        ),
        us_them=frozenset(flagged["us_them"]),
        solution_talk=frozenset(flagged["solution_talk"]),
        questions=tuple(questions.values()),
        citations=tuple(citations),
        step_discipline_violations=violations,
    )


def check_thresholds(overall: dict[str, Any], thresholds: dict[str, Any]) -> list[str]:
    """Failures: ``min`` keys must be reached, ``max`` keys not exceeded; null fails."""
    failures: list[str] = []
    for key, bound in thresholds.get("min", {}).items():
        value = overall.get(key)
        if value is None or value < bound:
            failures.append(f"{key} = {value} is below the threshold {bound}")
    for key, bound in thresholds.get("max", {}).items():
        value = overall.get(key)
        if value is None or value > bound:
            failures.append(f"{key} = {value} is above the threshold {bound}")
    return failures


def check_language_thresholds(
    results: Sequence[ScenarioMetrics], thresholds: dict[str, Any]
) -> list[str]:
    """The same checks for each language's scenarios pooled apart ("values micro-F1 of at
    least 0.60 on Dutch and on English scenarios"). A language with no scenarios is
    not checked."""
    failures: list[str] = []
    for lang in sorted({r.language for r in results}):
        pooled = pool([r for r in results if r.language == lang])
        failures += [f"[{lang}] {f}" for f in check_thresholds(pooled, thresholds)]
    return failures


async def evaluate(
    scenarios: Sequence[Scenario], settings: Settings, quiet: bool = False
) -> list[ScenarioMetrics]:
    """Score every scenario, each in a fresh meeting of one service."""
    results: list[ScenarioMetrics] = []
    async with open_service(settings) as service:
        for sc in scenarios:
            pred = await collect(sc, service, quiet=quiet)
            results.append(score_scenario(sc, pred))
    return results


async def run_eval(
    paths: Sequence[Path],
    backend: str = "local",
    json_out: Path | None = None,
    thresholds: Path | None = None,
    record: bool = False,
) -> int:
    """The ``rondetafel eval`` command. Returns the exit code."""
    scenarios = load_scenarios(paths)
    if backend not in ("local", "llm"):
        print(f"error: unknown backend {backend!r}; use local or llm", file=sys.stderr)
        return 2
    if backend == "llm" and not Settings().llm_enabled:
        print(
            "error: --backend llm needs a model: set RONDETAFEL_LLM_MODEL (and "
            "RONDETAFEL_LLM_BASE_URL for any server but OpenAI); see README, 'LLM backend'",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="rondetafel-eval-") as tmp:
        # A fresh data directory: runs never see each other's meetings, so they repeat.
        # The llm backend takes its model from the environment; the local one ignores any
        # configured model, so a local run stays offline and deterministic.
        settings = (
            Settings(data_dir=Path(tmp))
            if backend == "llm"
            else Settings(data_dir=Path(tmp), llm_model=None, llm_base_url=None)
        )
        try:
            results = await evaluate(scenarios, settings)
        except ConfigurationError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    report = to_json(results)
    report["backend"] = backend
    table = format_table(results)
    print(table)
    if record:
        from evals.benchmarks import record as record_results

        record_results("eval", {"table": table, "overall": report["overall"]})
    if json_out:
        json_out.write_text(
            json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    if thresholds:
        limits = yaml.safe_load(thresholds.read_text(encoding="utf-8"))
        overall = pool(results)
        failures = check_thresholds(overall, limits)
        failures += check_language_thresholds(results, limits.get("per_language") or {})
        for f in failures:
            print(f"THRESHOLD FAILED: {f}", file=sys.stderr)
        for f in check_thresholds(overall, {"min": limits.get("pending") or {}}):
            print(f"THRESHOLD NOT YET MET (pending, not enforced): {f}", file=sys.stderr)
        return 1 if failures else 0
    return 0
