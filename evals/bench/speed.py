"""Speed at meeting length: a Dutch meeting of 1,500 utterances from 8 parties, built
from one plenary day of the Tweede Kamer (official record, no copyright).

Measures, in one run on this machine: the time to process one new utterance through
the real service (store, graph, checkpoint, advice), the same text's single embedding
call, a from-scratch recomputation at utterance 1,500, the synthesis step, and the size
of the graph's checkpoint file at the end.
"""

from __future__ import annotations

import asyncio
import csv
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from agent.analysis.text import split_sentences
from agent.embeddings import Embedder, get_embedder
from agent.models import MeetingCreate, ParticipantIn, PartyIn, Topic, UtteranceIn
from agent.service import open_service
from agent.settings import Settings

N_UTTERANCES = 1500
N_PARTIES = 8


def build_meeting(data_dir: Path, n: int = N_UTTERANCES) -> tuple[MeetingCreate, list[UtteranceIn]]:
    """Parties, speakers and short utterances from the turns.

    An utterance is two sentences of a turn, or one when the day's turns of the eight
    largest parties hold too few sentences for ``n`` utterances of two (1,100 of two, 2,057
    of one, in the 2018 day).
    """
    path = data_dir / "tweede-kamer-2018" / "turns.tsv"
    with path.open(encoding="utf-8") as fh:
        turns = [r for r in csv.DictReader(fh, delimiter="\t") if r["party"].strip()]
    top = [p for p, _ in Counter(r["party"] for r in turns).most_common(N_PARTIES)]
    ids = {p: f"p{i}" for i, p in enumerate(top)}
    split = {id(r): split_sentences(r["text"]) for r in turns if r["party"] in ids}
    size = 2 if sum((len(x) + 1) // 2 for x in split.values()) >= n else 1
    speakers: dict[str, tuple[str, str]] = {}
    items: list[UtteranceIn] = []
    for r in turns:
        if r["party"] not in ids:
            continue
        sid = speakers.setdefault(r["speaker"], (f"s{len(speakers)}", r["party"]))[0]
        sentences = split[id(r)]
        for i in range(0, len(sentences), size):
            items.append(UtteranceIn(speaker=sid, text=" ".join(sentences[i : i + size])))
            if len(items) >= n:
                break
        if len(items) >= n:
            break
    setup = MeetingCreate(
        topic=Topic(title="Plenaire dag", kind="course", goal="Alle fracties horen"),
        language="nl",
        parties=[PartyIn(id=ids[p], name=p) for p in top],
        participants=[
            ParticipantIn(
                id=sid, name=name.replace("De heer ", "").replace("Mevrouw ", ""), party=ids[party]
            )
            for name, (sid, party) in speakers.items()
        ],
    )
    return setup, items


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _measure(data_dir: Path, n: int) -> dict[str, Any]:
    setup, items = build_meeting(data_dir, n)
    per_utt: list[float] = []
    embed: list[float] = []
    raw = Embedder(threads=1, cache_size=1)  # a separate model: no cache to flatter it
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        async with open_service(settings) as service:
            mid = (await service.create_meeting(setup)).id
            await service.change_step(mid, "connection")
            for item in items:
                t0 = time.perf_counter()
                await service.add_utterances(mid, [item])
                per_utt.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                raw.embed_uncached(item.text)
                embed.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            await service.change_step(mid, "synthesis")
            synthesis_s = time.perf_counter() - t0
        # The graph's checkpoint file (with its write-ahead log) after the whole meeting.
        checkpoint_bytes = sum(
            f.stat().st_size for f in Path(tmp).glob(settings.checkpoint_path.name + "*")
        )
    # From scratch: a new meeting, a cold embedding cache, all utterances at once.
    get_embedder()._cache.clear()
    with tempfile.TemporaryDirectory() as tmp:
        async with open_service(Settings(data_dir=Path(tmp))) as service:
            mid = (await service.create_meeting(setup)).id
            await service.change_step(mid, "connection")
            t0 = time.perf_counter()
            await service.add_utterances(mid, items)
            full_s = time.perf_counter() - t0
    ratios = [u / e for u, e in zip(per_utt, embed, strict=True) if e > 0]
    p50 = statistics.median(per_utt)
    return {
        "utterances": len(items),
        "parties": len(setup.parties),
        "p50_ms": round(1000 * p50, 1),
        "p95_ms": round(1000 * _pct(per_utt, 0.95), 1),
        "embed_ms": round(1000 * statistics.median(embed), 1),
        "ratio_p95_to_embed": round(_pct(ratios, 0.95), 2),
        "ratio_full_recompute": round(full_s / p50, 1),
        "full_recompute_s": round(full_s, 1),
        "synthesis_s": round(synthesis_s, 3),
        "checkpoint_mb": round(checkpoint_bytes / 1e6, 1),
    }


def run(data_dir: Path, n: int = N_UTTERANCES) -> dict[str, Any]:
    """The speed figures; see the module docstring."""
    return asyncio.run(_measure(data_dir, n))


if __name__ == "__main__":
    import json
    import sys

    print(
        json.dumps(
            run(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/benchmarks")), indent=2
        )
    )
