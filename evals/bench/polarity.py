"""Habermas polarity pairs: an affirming and a negating statement, said by two parties,
must never come out as a point of agreement.

Data: Tessler et al., Science 2024 (the Habermas Machine's released questions), CC BY 4.0.
Each pair runs through the product's own feature extraction and agreement tracker,
in both orders, exactly as two consecutive utterances of a meeting would.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from agent.analysis.agreements import empty_tracker, update
from agent.analysis.features import analyse
from agent.embeddings import get_embedder
from agent.models import Topic, UtteranceOut
from agent.roster import Person, Roster

ROSTER = Roster(
    meeting_id="bench",
    language="en",
    topic=Topic(title="Policy", kind="strategy", goal="Explore views"),
    parties={"a": "Party A", "b": "Party B"},
    people={
        "pa": Person("pa", "Alex Adams", "a", "participant"),
        "pb": Person("pb", "Blake Brown", "b", "participant"),
    },
)


def pair_agrees(first: str, second: str) -> bool:
    """Does the tracker make a point of agreement out of ``first`` then ``second``?"""
    emb = get_embedder()
    u1 = UtteranceOut(id="u1", seq=1, speaker="pa", party="a", text=first, step="connection")
    u2 = UtteranceOut(id="u2", seq=2, speaker="pb", party="b", text=second, step="connection")
    f1, v1 = analyse(u1, ROSTER, emb)
    f2, v2 = analyse(u2, ROSTER, emb)
    state = update(empty_tracker(), f1, v1, [], "en")
    state = update(state, f2, v2, [(f1, v1)], "en")
    return any({"u1", "u2"} <= set(p["members"]) for p in state["points"])


def run(data_dir: Path, limit: int | None = None) -> dict[str, Any]:
    """Count pairs (in either order) that come out as an agreement. Target: 0."""
    rows = json.loads(
        (data_dir / "habermas-questions" / "230118_chinchilla_questions.json").read_text()
    )
    if limit:
        rows = rows[:limit]
    started = time.perf_counter()
    found: list[str] = []
    for row in rows:
        aff, neg = row["affirming_statement"], row["negating_statement"]
        if pair_agrees(aff, neg) or pair_agrees(neg, aff):
            found.append(row["id"])
    return {
        "pairs": len(rows),
        "agreements_found": len(found),
        "examples": found[:10],
        "seconds": round(time.perf_counter() - started, 1),
    }


if __name__ == "__main__":
    import sys

    print(
        json.dumps(
            run(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/benchmarks")), indent=2
        )
    )
