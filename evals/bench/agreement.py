"""ICSI MRDA agreement benchmark: does a response agree or disagree with what it answers?

Data: ``icsi-mrda-agreement/agreement_pairs.tsv`` under the benchmarks root (ICSI Meeting
Recorder Dialog Act corpus, CC BY 4.0, Shriberg et al. 2004): pairs of a first part
(``a_text``) and another speaker's response (``b_text``), labelled ``agree``,
``partial_agree``, ``disagree``, ``partial_disagree``. Partial labels are merged into their
side. Only the ``test`` split is scored; the rules were built on ``train`` and ``val``.

Three systems, all measured in the same run:

* ``baseline_majority`` - every response is the majority class of the test split.
* ``baseline_lexical`` - "more negation words than agreement words means disagree", over
  whole words of the response with the fixed lists ``BASELINE_NEGATION`` and
  ``BASELINE_AGREEMENT`` below (an "n't" word counts as one negation).
* the product - :func:`agent.analysis.polarity.read_polarity` on the response, with the
  first part passed as ``prior`` (so a bare "no" can confirm a negative statement). The
  headline figures take the product's stance as it is: ``disagree`` exactly when the
  stance is ``DISAGREE``; ``AGREE``, ``PARTIAL`` and ``NEUTRAL`` count as ``agree`` (the
  product's question is "is this a disagreement?").

``PARTIAL`` is a "yes, but" turn without a disagreement of its own ("yeah but they're
easier for parsers"). The product never presents one as an agreement (it sets
``contrast``, and the tracker makes it a difference), but it is no flat rejection either:
MRDA annotators label most such turns ``agree`` or ``partial_agree`` ("partial accept",
``s^aap``), and the benchmark merges the partial labels into their side. ``run`` also
reports ``partial_as_disagree``: the same output read strictly, with ``PARTIAL`` counted
as a disagreement, as the product did before it had the partial stance.

``run`` returns macro-F1 over agree/disagree, disagree precision and recall, both
baselines' macro-F1, and ``n``; extra keys give the details (the strict reading above,
the lexical baseline's disagree recall, the confusion counts, and the same figures on the
train and val splits, which are the ones the rules were built on).
"""

from __future__ import annotations

import csv
import json
import pathlib
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from agent.analysis.polarity import PolarityReading, Stance, read_polarity

DATASET = "icsi-mrda-agreement"
PAIRS_FILE = "agreement_pairs.tsv"
AGREE, DISAGREE = "agree", "disagree"
_LABELS = {
    "agree": AGREE,
    "partial_agree": AGREE,
    "disagree": DISAGREE,
    "partial_disagree": DISAGREE,
}

# The plain lexical rule, fixed in advance and not tuned: whole words of the response.
BASELINE_NEGATION = frozenset(
    {"no", "not", "never", "nope", "nah", "none", "nothing", "nobody", "neither", "nor",
     "cannot", "disagree", "wrong"}
)  # fmt: skip
BASELINE_AGREEMENT = frozenset(
    {"yes", "yeah", "yep", "yup", "right", "agree", "agreed", "exactly", "sure", "true",
     "correct", "absolutely", "definitely", "indeed", "certainly", "ok", "okay", "o_k",
     "mm-hmm", "uh-huh", "of course"}
)  # fmt: skip
_TOKEN = re.compile(r"[a-z_]+(?:[-'][a-z_]+)*")


@dataclass(frozen=True)
class Pair:
    """One first part and its response, with the merged gold label."""

    meeting: str
    split: str
    prior: str
    response: str
    label: str


def load_pairs(data_dir: pathlib.Path) -> list[Pair]:
    """Read every pair of the ICSI agreement set under the benchmarks root ``data_dir``."""
    path = data_dir / DATASET / PAIRS_FILE
    with path.open(encoding="utf-8", newline="") as handle:
        # The transcripts contain bare quote characters; they are not CSV quoting.
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [
            Pair(row["meeting"], row["split"], row["a_text"], row["b_text"], _LABELS[row["label"]])
            for row in reader
        ]


def baseline_lexical(response: str) -> str:
    """Disagree when the response has more negation words than agreement words."""
    tokens = _TOKEN.findall(response.lower())
    negations = sum(1 for t in tokens if t in BASELINE_NEGATION or t.endswith("n't"))
    agreements = sum(1 for t in tokens if t in BASELINE_AGREEMENT)
    return DISAGREE if negations > agreements else AGREE


def _reading(pair: Pair) -> PolarityReading:
    return read_polarity(pair.response, "en", prior=pair.prior)


def product(pair: Pair) -> str:
    """The product's stance on the response, given the first part it answers."""
    return DISAGREE if _reading(pair).stance is Stance.DISAGREE else AGREE


def product_strict(pair: Pair) -> str:
    """As :func:`product`, but a partial accept ("yes, but") counts as a disagreement."""
    stance = _reading(pair).stance
    return DISAGREE if stance in (Stance.DISAGREE, Stance.PARTIAL) else AGREE


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def score(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Macro-F1 over agree/disagree, and disagree precision and recall."""
    counts = Counter(zip(gold, predicted, strict=True))
    per_class = {}
    for label in (AGREE, DISAGREE):
        tp = counts[(label, label)]
        fp = sum(n for (g, p), n in counts.items() if p == label and g != label)
        fn = sum(n for (g, p), n in counts.items() if g == label and p != label)
        per_class[label] = (tp, fp, fn)
    tp, fp, fn = per_class[DISAGREE]
    return {
        "macro_f1": sum(_f1(*c) for c in per_class.values()) / len(per_class),
        "disagree_precision": tp / (tp + fp) if tp + fp else 0.0,
        "disagree_recall": tp / (tp + fn) if tp + fn else 0.0,
    }


def _evaluate(pairs: Iterable[Pair], predict: Callable[[Pair], str]) -> dict[str, float]:
    items = list(pairs)
    figures = score([p.label for p in items], [predict(p) for p in items])
    return {k: round(v, 4) for k, v in figures.items()}


def _lexical(pair: Pair) -> str:
    return baseline_lexical(pair.response)


def run(data_dir: pathlib.Path) -> dict[str, object]:
    """Score the product and both baselines on the test split of ICSI MRDA agreement."""
    pairs = load_pairs(pathlib.Path(data_dir))
    test = [p for p in pairs if p.split == "test"]
    if not test:
        raise ValueError(f"no test pairs found under {pathlib.Path(data_dir) / DATASET}")
    majority = Counter(p.label for p in test).most_common(1)[0][0]
    mine = _evaluate(test, product)
    lexical = _evaluate(test, _lexical)
    flat = _evaluate(test, lambda p: majority)
    confusion = Counter((p.label, product(p)) for p in test)
    return {
        "macro_f1": mine["macro_f1"],
        "disagree_precision": mine["disagree_precision"],
        "disagree_recall": mine["disagree_recall"],
        "baseline_majority": flat["macro_f1"],
        "baseline_lexical": lexical["macro_f1"],
        "n": len(test),
        "partial_as_disagree": _evaluate(test, product_strict),
        "baseline_lexical_detail": lexical,
        "baseline_majority_class": majority,
        "confusion": {f"{g}->{p}": n for (g, p), n in sorted(confusion.items())},
        "development": {
            split: {
                "n": len(rows),
                "product": _evaluate(rows, product),
                "partial_as_disagree": _evaluate(rows, product_strict),
                "baseline_lexical": _evaluate(rows, _lexical),
            }
            for split in ("train", "val")
            if (rows := [p for p in pairs if p.split == split])
        },
    }


if __name__ == "__main__":
    root = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path("../shared/benchmarks")
    print(json.dumps(run(root), indent=2))
