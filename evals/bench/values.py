"""Benchmark: value detection on the Touché23-ValueEval TEST split.

Data: Touché23-ValueEval (SemEval-2023 Task 4), Kiesel et al. 2023, CC BY 4.0,
Zenodo 10.5281/zenodo.6814563. The test split is only measured here, never trained or tuned on.

Metric: the official macro-F1 over the 20 value categories (F1 per category, then the mean).
Speed: arguments per second for embedding plus classification, with a fresh embedder (empty
cache, model already loaded), on the configured number of embedding threads. The machine is
shared, so wall-clock speed depends on what else runs; ``args_per_cpu_s`` (arguments per second
of this process's CPU time) shows what the work itself costs.

Usage::

    python -m evals.bench.values [/work/shared/benchmarks]
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")

from agent.values.classifier import (
    VALUE_IDS,
    ValueClassifier,
    macro_f1,
    per_category_f1,
)

TOUCHE_DIR = "touche23-valueeval"
BATCH = 32


def _read_test(folder: Path) -> tuple[list[dict[str, str]], np.ndarray]:
    with (folder / "arguments-test.tsv").open(encoding="utf-8", newline="") as fh:
        args = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    with (folder / "labels-test.tsv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    if len(rows[0]) != len(VALUE_IDS) + 1:
        raise ValueError("labels-test.tsv does not have the 20 value columns")
    by_id = {r[0]: [int(x) for x in r[1:]] for r in rows[1:]}
    gold = np.array([by_id[a["Argument ID"]] for a in args], dtype=np.int8)
    return args, gold


def _text(arg: dict[str, str], input_format: str) -> str:
    """Build the input text exactly as the head was trained (npz ``input_format``)."""
    if input_format == "premise":
        return arg["Premise"]
    raise ValueError(f"unknown input_format in values_head.npz: {input_format!r}")


def run(data_dir: Path) -> dict[str, Any]:
    """Measure macro-F1 and speed on the Touché23 test split under ``data_dir``.

    ``data_dir`` is the benchmarks root; the data is read from ``data_dir / "touche23-valueeval"``.
    ``macro_f1`` is the argument mode (head alone, ``blend=False``), which is how Touché-style
    arguments should be classified; ``macro_f1_blend`` is the meeting mode on the same data.
    """
    from agent.embeddings import Embedder
    from agent.settings import get_settings

    args, gold = _read_test(Path(data_dir) / TOUCHE_DIR)
    clf = ValueClassifier.load()
    texts = [_text(a, clf.input_format) for a in args]

    # A fresh embedder so no earlier call in this process has cached a test text; one warm-up
    # call on an unrelated text so model loading is not counted as throughput.
    emb = Embedder(threads=get_settings().embed_threads)
    emb.passages(["warm-up"])
    start = time.perf_counter()
    cpu_start = time.process_time()
    vecs = np.vstack([emb.passages(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)])
    head = clf.scores(vecs, blend=False)
    pred = head >= clf.thresholds_for(blend=False)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start

    blend = clf.scores(vecs, blend=True) >= clf.thresholds_for(blend=True)
    ones = np.ones_like(gold)
    return {
        "macro_f1": round(macro_f1(gold, pred), 4),
        "macro_f1_blend": round(macro_f1(gold, blend), 4),
        "baseline_all_ones": round(macro_f1(gold, ones), 4),
        "args_per_s": round(len(texts) / elapsed, 2),
        "seconds": round(elapsed, 2),
        "args_per_cpu_s": round(len(texts) / cpu, 2),
        "n": len(texts),
        "embed_threads": get_settings().embed_threads,
        "input_format": clf.input_format,
        "per_value_f1": {k: round(v, 4) for k, v in per_category_f1(gold, pred).items()},
    }


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/benchmarks")
    print(json.dumps(run(root), indent=2))
