"""The synthesis, measured: grounding and coverage on the scripted scenarios, and speed on a
1,500-utterance Dutch meeting.

(a) Each scenario in ``evals/scenarios`` is played through the service exactly as the
eval runner plays it, then the synthesis is generated. Reported:

- ``agreement_coverage``: of the gold agreements the agent found (matched per
  :func:`evals.metrics.match_agreements` against its points of agreement), the share that
  also appear in the synthesis (matched the same way against its agreement items);
- ``citation_valid_rate``: the share of the synthesis's citations that point to an
  utterance or position of this meeting, name its speaker and quote it verbatim (100%
  required);
- ``items_citing_outside``: items with a citation to anything that is not in this meeting
  (must be 0).

(b) ``synthesis_s``: the time to generate the synthesis of the Tweede Kamer meeting of
:mod:`evals.bench.speed` (1,500 utterances, 8 parties) with the local engine, on request
through the service: the whole-transcript view, writing, validation and storing the items.
Target: under 2 s. ``regenerate_s`` is a second generation over the stored review items.

Run: ``python -m evals.bench.synthesis [BENCHMARKS_DIR] [--scenarios [PATH...]] [--skip-speed]
[--json FILE]`` (``--scenarios`` with no path skips part (a)).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from agent.analysis.text import quote_in
from agent.service import MeetingService, open_service
from agent.settings import Settings
from agent.synthesis.models import SynthesisOut
from evals.bench.speed import N_UTTERANCES, build_meeting
from evals.metrics import PredictedAgreement, match_agreements
from evals.play import play
from evals.scenario import Scenario, load_scenarios

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def _texts(scenario: Scenario, positions: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    out = {u.id: (u.speaker, u.text) for u in scenario.utterances()}
    out.update({f"position:{pid}": v for pid, v in positions.items()})
    return out


async def _scenario(scenario: Scenario, service: MeetingService) -> dict[str, Any]:
    played = await play(scenario, service)
    mid = played.meeting_id
    await service.generate_synthesis(mid)
    synthesis: SynthesisOut = service.get_synthesis(mid)
    agreed, _ = await service.agreements(mid)
    gold = scenario.expect.agreements or []
    found = match_agreements(
        scenario,
        gold,
        [PredictedAgreement(a.id, tuple(e.utterance_id for e in a.evidence)) for a in agreed],
    )
    in_synthesis = match_agreements(
        scenario,
        gold,
        [
            PredictedAgreement(it.id, tuple(c.utterance_id for c in it.evidence if c.utterance_id))
            for it in synthesis.items
            if it.section == "agreements"
        ],
    )
    found_gold = {g for g, _ in found}
    covered = found_gold & {g for g, _ in in_synthesis}
    texts = _texts(scenario, played.position_ids)
    citations = valid = outside = 0
    for it in synthesis.items:
        if any(c.ref not in texts for c in it.evidence):
            outside += 1
        for c in it.evidence:
            citations += 1
            source = texts.get(c.ref)
            valid += bool(source and source[0] == c.participant and quote_in(c.quote, source[1]))
    sections: dict[str, int] = {}
    for it in synthesis.items:
        sections[it.section] = sections.get(it.section, 0) + 1
    return {
        "id": scenario.id,
        "gold_agreements": len(gold),
        "found_by_agent": len(found_gold),
        "found_and_in_synthesis": len(covered),
        "citations": citations,
        "valid_citations": valid,
        "items": len(synthesis.items),
        "items_citing_outside": outside,
        "sections": sections,
    }


async def _scenarios(paths: list[Path]) -> dict[str, Any]:
    rows = []
    for scenario in load_scenarios(paths):
        with tempfile.TemporaryDirectory() as tmp:
            async with open_service(Settings(data_dir=Path(tmp))) as service:
                rows.append(await _scenario(scenario, service))
    found = sum(r["found_by_agent"] for r in rows)
    covered = sum(r["found_and_in_synthesis"] for r in rows)
    cites = sum(r["citations"] for r in rows)
    valid = sum(r["valid_citations"] for r in rows)
    return {
        "scenarios": len(rows),
        "agreement_coverage": round(covered / found, 4) if found else None,
        "gold_found_by_agent": found,
        "gold_found_and_in_synthesis": covered,
        "citation_valid_rate": round(valid / cites, 4) if cites else None,
        "citations": cites,
        "items_citing_outside": sum(r["items_citing_outside"] for r in rows),
        "per_scenario": rows,
    }


async def _speed(data_dir: Path, n: int) -> dict[str, Any]:
    setup, items = build_meeting(data_dir, n)
    # One plenary day gives about 1,100 utterances of at most two sentences; the day is
    # replayed from the start until the meeting has ``n``, so the figure is at full length.
    distinct = len(items)
    items = [*items, *(items[i % distinct] for i in range(n - distinct))] if distinct else items
    with tempfile.TemporaryDirectory() as tmp:
        async with open_service(Settings(data_dir=Path(tmp))) as service:
            mid = (await service.create_meeting(setup)).id
            await service.change_step(mid, "connection")
            t0 = time.perf_counter()
            await service.add_utterances(mid, items)
            feed_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            report = await service.generate_synthesis(mid)
            first_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            await service.generate_synthesis(mid)
            again_s = time.perf_counter() - t0
            sections: dict[str, int] = {}
            for it in service.get_synthesis(mid).items:
                sections[it.section] = sections.get(it.section, 0) + 1
    return {
        "utterances": len(items),
        "distinct_utterances": distinct,
        "parties": len(setup.parties),
        "synthesis_s": round(first_s, 3),
        "regenerate_s": round(again_s, 3),
        "items": report.items,
        "sections": sections,
        "feed_s": round(feed_s, 1),
    }


def run(
    data_dir: Path,
    scenarios: list[Path] | None = None,
    speed: bool = True,
    n: int = N_UTTERANCES,
) -> dict[str, Any]:
    """The figures of the module docstring: (a) on the scenarios (``scenarios=[]`` skips
    them), (b) on the long meeting."""
    figures: dict[str, Any] = {}
    if scenarios != []:
        figures = asyncio.run(_scenarios(scenarios or [SCENARIOS]))
    if speed:
        figures["speed"] = asyncio.run(_speed(data_dir, n))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("data", nargs="?", type=Path, default=Path("../shared/benchmarks"))
    parser.add_argument(
        "--scenarios", nargs="*", type=Path, default=None, help="none given: skip them"
    )
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    figures = run(args.data, args.scenarios, speed=not args.skip_speed)
    text = json.dumps(figures, indent=2, ensure_ascii=False)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    print(text)
    ok = figures.get("citation_valid_rate") in (None, 1.0)
    ok = ok and not figures.get("items_citing_outside")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
