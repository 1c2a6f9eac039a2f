"""``rondetafel demo``: play a scenario and print the agent's advice step by step."""

from __future__ import annotations

import sys
import tempfile
import textwrap
from pathlib import Path

from agent.models import Suggestions
from agent.service import open_service
from agent.settings import Settings
from evals.play import play
from evals.scenario import load_scenario


def _wrap(text: str, indent: str = "    ") -> str:
    return "\n".join(
        textwrap.fill(line, 96, initial_indent=indent, subsequent_indent=indent + "  ")
        if line.strip()
        else ""
        for line in text.splitlines()
    )


def render(sug: Suggestions, names: dict[str, str]) -> str:
    """The advice for one step as plain text."""
    out = [f"== {sug.step.upper()} == {sug.headline}"]
    if sug.topic is not None:
        for item in sug.items:
            if item.kind in ("topic", "missing_party"):
                out.append(_wrap(f"- {item.text}"))
    for item in sug.items:
        if item.kind in ("topic", "missing_party", "agreement", "difference"):
            continue
        out.append(_wrap(f"- {item.text}"))
    if sug.questions:
        out.append("  Questions to ask:")
        for q in sug.questions:
            out.append(_wrap(f"? {q.text}   [{q.kind}, cites {q.grounded_in.ref}]"))
    if sug.agreements or sug.step == "connection":
        out.append("  Points of agreement:")
        for a in sug.agreements:
            flag = " (ALL PARTIES)" if a.all_parties else ""
            out.append(_wrap(f"+ {a.label}{flag}"))
            for e in a.evidence:
                out.append(
                    _wrap(
                        f'{names.get(e.speaker, e.speaker)} ({e.utterance_id}): "{e.quote}"',
                        "        ",
                    )
                )
        if not sug.agreements:
            out.append("    (none yet)")
    if sug.differences:
        out.append("  Differences:")
        for d in sug.differences:
            out.append(_wrap(f"≠ {d.label}"))
            for side in d.sides:
                for e in side.evidence:
                    out.append(
                        _wrap(
                            f'{names.get(e.speaker, e.speaker)} ({e.utterance_id}): "{e.quote}"',
                            "        ",
                        )
                    )
    signals = [s for s in sug.signals if s.kind in ("us_them", "solution_talk", "not_heard")]
    if signals:
        out.append("  Signals:")
        out += [_wrap(f"! {s.message}") for s in signals]
    return "\n".join(out)


async def run_demo(path: Path, settings: Settings) -> None:
    """Play ``path`` in a throwaway data directory and print the advice per step."""
    scenario = load_scenario(path)
    names = {p.id: p.name for p in scenario.participants}
    print(f"Rondetafel demo: {scenario.topic.title} ({scenario.language}), {path.name}")
    print(f"Parties: {', '.join(p.name for p in scenario.parties)}\n")

    def progress(i: int, n: int, label: str) -> None:
        print(f"\r  feeding {i}/{n}: {label:<24}", end="", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="rondetafel-demo-") as tmp:
        demo_settings = settings.model_copy(update={"data_dir": Path(tmp), "database_url": None})
        async with open_service(demo_settings) as service:
            played = await play(scenario, service, progress)
    print("\r" + " " * 60 + "\r", end="", file=sys.stderr)
    # The last advice of each step is what the facilitator saw when leaving it.
    last: dict[str, Suggestions] = {}
    order: list[str] = []
    for step, _, sug in played.advice:
        if step not in last:
            order.append(step)
        last[step] = sug
    for step in order:
        print(render(last[step], names))
        print()
