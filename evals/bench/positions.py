"""Positions: ingestion speed, retrieval latency and retrieval quality, on this machine.

Run with ``python -m evals.bench.positions [--data ../shared/benchmarks] [--pages 200]``
(or ``rondetafel bench positions``).

- **Ingestion.** About 200 pages of Dutch text go through the upload path of the service
  (read the ``.txt`` upload, store, chunk, embed, write to chromadb): the same calls
  ``add_position`` makes before the agent reads the position. The agent's reading (values,
  topic check, digest) depends on the other analyses, so it is timed apart, as whole
  uploads of the labelled positions (``upload_with_agent_*``). A *page* is 3,000
  characters of text, spaces included. The documents are the turns of one plenary day
  of the Tweede Kamer (official record, no copyright), one position per speaker with each
  turn as a paragraph. The day holds about
  136 pages, so the speakers are used again, in a second meeting, until the page count is
  reached; the embedding cache is emptied first, so nothing is embedded for free.
- **Latency.** p50 and p95 of ``service.retrieve(k=5)`` in the first meeting (all the
  day's speakers), for queries never embedded before: the labelled Dutch queries and the
  opening words of other turns.
- **Quality.** recall@3 on the labelled sets in ``evals/retrieval/*.yaml``: positions
  written for this benchmark (Dutch and English) and at least 40 queries, Dutch and
  English, each naming the passage that answers it. A query counts as found when one of
  the three passages returned comes from the named participant and overlaps the named
  phrase. Cross-language queries (an English question about Dutch text) are reported
  apart as well.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from agent.embeddings import get_embedder
from agent.models import MeetingCreate, ParticipantIn, PartyIn, Topic
from agent.positions import parse_upload
from agent.service import MeetingService, open_service
from agent.settings import Settings
from agent.store import repo

PAGE_CHARS = 3_000
TARGET_PAGES = 200
RETRIEVAL_SETS = Path(__file__).resolve().parents[1] / "retrieval"
K = 3
LATENCY_EXTRA_QUERIES = 100


# ---- the documents -------------------------------------------------------------------------


def speaker_documents(data_dir: Path) -> list[tuple[str, str, str]]:
    """(speaker, party, document) per speaker of the day, turns as paragraphs, in order."""
    path = data_dir / "tweede-kamer-2018" / "turns.tsv"
    turns: dict[str, list[str]] = defaultdict(list)
    party: dict[str, str] = {}
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            text = row["text"].strip()
            if text:
                turns[row["speaker"]].append(text)
                party.setdefault(row["speaker"], row["party"].strip() or "Voorzitter")
    return [(s, party[s], "\n\n".join(ts)) for s, ts in turns.items()]


def _meeting(docs: list[tuple[str, str, str]], title: str) -> MeetingCreate:
    parties = list(dict.fromkeys(p for _, p, _ in docs))
    pid = {p: f"f{i}" for i, p in enumerate(parties)}
    return MeetingCreate(
        topic=Topic(title=title, kind="course", goal="Alle fracties horen"),
        language="nl",
        parties=[PartyIn(id=pid[p], name=p[:200]) for p in parties],
        participants=[
            ParticipantIn(id=f"s{i}", name=s[:200], party=pid[p])
            for i, (s, p, _) in enumerate(docs)
        ],
    )


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _ingest(
    service: MeetingService, docs: list[tuple[str, str, str]], pages: int
) -> tuple[dict[str, Any], str]:
    """Upload every document as a participant's position: read, store, chunk, embed, index.

    These are the calls :meth:`MeetingService.add_position` makes before it wakes the
    graph; the graph's reading of a position (values, topic check, digest) is timed apart
    in :func:`_quality`, on positions of a realistic length.
    """
    index = service.index
    assert index is not None
    budget = pages * PAGE_CHARS
    total_chars = positions = chunks = 0
    read = store = embed = write = cpu = 0.0
    first_meeting = ""
    cycle = 0
    while total_chars < budget:
        get_embedder()._cache.clear()  # each pass starts cold: nothing is embedded for free
        batch: list[tuple[str, str, str]] = []
        for doc in docs:
            if total_chars >= budget:
                break
            batch.append(doc)
            total_chars += len(doc[2])
        mid = (await service.create_meeting(_meeting(batch, f"Plenaire dag {cycle}"))).id
        first_meeting = first_meeting or mid
        c0 = time.process_time()
        for i, (_, _, text) in enumerate(batch):
            t0 = time.perf_counter()
            parsed = parse_upload(text.encode("utf-8"), "standpunt.txt", "text/plain", 10**8)
            t1 = time.perf_counter()
            with service.db.session() as s:
                pos = repo.add_position(s, mid, f"s{i}", parsed.text, parsed.filename)
            t2 = time.perf_counter()
            prepared = await asyncio.to_thread(index.prepare, pos)
            t3 = time.perf_counter()
            chunks += await asyncio.to_thread(index.put, mid, prepared)
            t4 = time.perf_counter()
            read, store, embed, write = (
                read + t1 - t0,
                store + t2 - t1,
                embed + t3 - t2,
                write + t4 - t3,
            )
        cpu += time.process_time() - c0
        positions += len(batch)
        cycle += 1
    elapsed = read + store + embed + write
    n_pages = total_chars / PAGE_CHARS
    return {
        "pages": round(n_pages, 1),
        "page_chars": PAGE_CHARS,
        "positions": positions,
        "chunks": chunks,
        "ingest_s": round(elapsed, 1),
        "pages_per_s": round(n_pages / elapsed, 2),
        # CPU seconds of this process: the figure to compare on a machine shared with
        # other work, where wall-clock time also counts the waiting for a core
        "pages_per_cpu_s": round(n_pages / cpu, 2),
        "share_read": round(read / elapsed, 3),
        "share_store": round(store / elapsed, 3),
        "share_embed": round(embed / elapsed, 3),
        "share_chroma_write": round(write / elapsed, 3),
    }, first_meeting


# ---- the labelled sets -----------------------------------------------------------------------


@dataclass(frozen=True)
class LabelledSet:
    id: str
    setup: MeetingCreate
    positions: dict[str, str]
    queries: list[dict[str, Any]]


def load_sets(folder: Path = RETRIEVAL_SETS) -> list[LabelledSet]:
    """Every labelled set, checked: each expected phrase occurs in its participant's text."""
    out: list[LabelledSet] = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        setup = MeetingCreate(
            topic=Topic(**data["topic"]),
            language=data["language"],
            parties=[PartyIn(**p) for p in data["parties"]],
            participants=[ParticipantIn(**p) for p in data["participants"]],
        )
        positions = {k: v.strip() for k, v in data["positions"].items()}
        for q in data["queries"]:
            for e in q["expect"]:
                if e["text"] not in positions[e["participant"]]:
                    raise ValueError(f"{path.name}: {e['text']!r} not in {e['participant']}")
        out.append(LabelledSet(data["id"], setup, positions, data["queries"]))
    return out


def _relevant(hit: Any, expect: list[dict[str, str]], texts: dict[str, str]) -> bool:
    for e in expect:
        if hit.participant != e["participant"]:
            continue
        start = texts[e["participant"]].index(e["text"])
        if hit.start < start + len(e["text"]) and start < hit.end:
            return True
    return False


async def _quality(service: MeetingService) -> dict[str, Any]:
    found: dict[str, list[bool]] = defaultdict(list)
    first: list[bool] = []
    misses: list[str] = []
    upload: list[float] = []  # one whole add_position: store, index, the agent reads it
    n_queries = 0
    for s in load_sets():
        mid = (await service.create_meeting(s.setup)).id
        for pid, text in s.positions.items():
            t0 = time.perf_counter()
            await service.add_position(mid, pid, text)
            upload.append(time.perf_counter() - t0)
        for q in s.queries:
            hits = await service.retrieve(mid, q["q"], K)
            ok = [_relevant(h, q["expect"], s.positions) for h in hits]
            hit = any(ok)
            cross = q["lang"] != s.setup.language
            found["all"].append(hit)
            found[q["lang"]].append(hit)
            found["cross_language" if cross else "same_language"].append(hit)
            first.append(bool(ok and ok[0]))
            n_queries += 1
            if not hit:
                misses.append(f"{s.id}: {q['q']}")
    recall = {k: round(sum(v) / len(v), 3) for k, v in found.items()}
    return {
        "queries": n_queries,
        "queries_nl": len(found["nl"]),
        "queries_en": len(found["en"]),
        "recall_at_3": recall["all"],
        "recall_at_3_nl": recall["nl"],
        "recall_at_3_en": recall["en"],
        "recall_at_3_same_language": recall["same_language"],
        "recall_at_3_cross_language": recall.get("cross_language"),
        "recall_at_1": round(sum(first) / len(first), 3),
        "misses": misses,
        "upload_with_agent_p50_ms": round(1000 * statistics.median(upload), 1),
        "upload_with_agent_max_ms": round(1000 * max(upload), 1),
    }


async def _latency(
    service: MeetingService, mid: str, docs: list[tuple[str, str, str]]
) -> dict[str, Any]:
    queries = [q["q"] for s in load_sets() for q in s.queries if q["lang"] == "nl"]
    step = max(1, len(docs) // LATENCY_EXTRA_QUERIES)
    for _, _, text in docs[::step]:
        for para in text.split("\n\n")[1:2]:
            queries.append(" ".join(para.split()[:8]))
    queries = list(dict.fromkeys(q for q in queries if q.strip()))[: 32 + LATENCY_EXTRA_QUERIES]
    get_embedder()._cache.clear()
    times: list[float] = []
    for q in queries:
        t0 = time.perf_counter()
        await service.retrieve(mid, q, 5)
        times.append(time.perf_counter() - t0)
    return {
        "latency_queries": len(times),
        "retrieve_p50_ms": round(1000 * statistics.median(times), 1),
        "retrieve_p95_ms": round(1000 * _pct(times, 0.95), 1),
    }


async def _measure(data_dir: Path, pages: int) -> dict[str, Any]:
    docs = speaker_documents(data_dir)
    with tempfile.TemporaryDirectory() as tmp:
        async with open_service(Settings(data_dir=Path(tmp))) as service:
            ingest, first = await _ingest(service, docs, pages)
            latency = await _latency(service, first, docs)
            quality = await _quality(service)
    return {**ingest, **latency, **quality}


def run(data_dir: Path, pages: int = TARGET_PAGES) -> dict[str, Any]:
    """The figures; see the module docstring."""
    return asyncio.run(_measure(data_dir, pages))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=Path("../shared/benchmarks"))
    parser.add_argument("--pages", type=int, default=TARGET_PAGES)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    figures = run(args.data, args.pages)
    text = json.dumps(figures, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0 if figures["recall_at_3"] >= 0.9 else 1


if __name__ == "__main__":
    sys.exit(main())
