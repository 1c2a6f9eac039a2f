"""Local value detection: which of the 20 value categories does a sentence express?

The taxonomy is that of Touché23-ValueEval (SemEval-2023 Task 4), which follows Schwartz's
refined theory of basic values. The head shipped in ``agent/data/values_head.npz`` was trained
on its training and validation arguments: Kiesel et al. (2023), Touché23-ValueEval dataset,
CC BY 4.0, Zenodo 10.5281/zenodo.6814563. ``evals/train_values.py`` rebuilds it.

How a sentence is scored (input: its ``passage:`` embedding from :mod:`agent.embeddings`):

* **Head.** One-vs-rest logistic regression on the 384-d multilingual-e5-small embedding,
  trained on argument premises. It knows the Touché label distribution well, but Touché is
  English web argumentation about policy, and meeting talk looks different.
* **Exemplars.** ``prompts/values.yaml`` holds, per value, short organisational sentences in
  Dutch and English. Their normalised centroid per value is stored in the npz, next to one
  centroid of *procedural* meeting talk (greetings, agenda, turn-taking; listed in
  ``evals/train_values.py``). A sharp softmax over the 21 cosine similarities says which value
  a sentence is closest to, or that it is procedural. This transfers to short Dutch meeting
  sentences far better than the head alone.
* **Blend** (meeting mode, the default)::

      score = (1 - p_procedural) * ((1 - w) * head + w * softmax_values)

  where ``softmax_values`` is the value part of the 21-way softmax renormalised over the 20
  values. The ``(1 - p_procedural)`` factor silences "welkom allemaal" and "eens" so they add
  no values. ``w`` and the temperature were chosen on our own labelled organisational
  sentences (``tests/test_values_classifier.py``); the per-value decision thresholds are then
  tuned for this blended score on out-of-fold Touché scores.
* **Argument mode** (``blend=False``): the head alone with its own thresholds. This is what
  Touché-style arguments should use and what ``evals/bench/values.py`` reports as its main
  macro-F1 (it reports the blended mode next to it).

Measured (see ``evals/bench/values.py`` and the tests): Touché23 test macro-F1 0.43 in argument
mode (0.42 blended; all-ones baseline 0.25). Known limit: e5-small similarities follow surface
form (shared words and sentence shape) as much as meaning, so a sentence can land on the value
of an exemplar that merely sounds like it; per-sentence labels are evidence for the
facilitator to check, not verdicts.

Only numpy is needed at run time.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

VALUE_IDS: tuple[str, ...] = (
    "self-direction-thought",
    "self-direction-action",
    "stimulation",
    "hedonism",
    "achievement",
    "power-dominance",
    "power-resources",
    "face",
    "security-personal",
    "security-societal",
    "tradition",
    "conformity-rules",
    "conformity-interpersonal",
    "humility",
    "benevolence-caring",
    "benevolence-dependability",
    "universalism-concern",
    "universalism-nature",
    "universalism-tolerance",
    "universalism-objectivity",
)

# Blend of head and exemplar similarity; see the module docstring for how they were chosen.
BLEND_WEIGHT = 0.6
BLEND_TEMPERATURE = 0.005

# profile(): a value is shown only when its evidence is at least this share of the strongest
# value's evidence. Chosen on simulated participants built from our own labelled sentences
# (tests/test_values_classifier.py): 0.4-0.7 were within 0.02 micro-F1 of each other, and
# 0.5 held up best once participants also mention incidental values that are not their own.
RELATIVE_CUTOFF = 0.5
# profile(): a sentence supports only its strongest value(s), so one long, diffuse sentence
# cannot spread weak evidence over many values. 1 beat 2 and 3 on the simulated participants.
SENTENCE_TOP = 1

_DATA_PACKAGE = "agent"
_DATA_PATH = "data/values_head.npz"


@dataclass(frozen=True, slots=True)
class ValueEvidence:
    """One value shown for a participant, with the sentences that support it.

    ``strength`` is the summed evidence (see :meth:`ValueClassifier.profile`), not a
    probability; compare it only within one profile. ``sentence_indices`` index the rows of
    the score matrix given to :meth:`ValueClassifier.profile`, strongest support first.
    """

    value_id: str
    strength: float
    sentence_indices: tuple[int, ...]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function."""
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)))


def _softmax(x: np.ndarray, temperature: float) -> np.ndarray:
    z = (x - x.max(axis=1, keepdims=True)) / temperature
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def blend_scores(
    head: np.ndarray, similarities: np.ndarray, weight: float, temperature: float
) -> np.ndarray:
    """Meeting-mode score from head probabilities and exemplar similarities.

    ``similarities`` has 21 columns: cosine to the 20 value centroids, then to the procedural
    centroid. See the module docstring for the formula.
    """
    k = len(VALUE_IDS)
    soft = _softmax(similarities, temperature)
    values = soft[:, :k] / np.maximum(soft[:, :k].sum(axis=1, keepdims=True), 1e-12)
    procedural = soft[:, k:].sum(axis=1, keepdims=True)
    return np.asarray((1.0 - procedural) * ((1.0 - weight) * head + weight * values))


def macro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    """Touché's official metric: F1 per category over all items, then the unweighted mean.

    A category with no true positive scores 0 (also when it has no gold positives).
    """
    g = np.asarray(gold) > 0
    p = np.asarray(pred) > 0
    tp = (g & p).sum(0)
    fp = (~g & p).sum(0)
    fn = (g & ~p).sum(0)
    f1 = np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
    return float(f1.mean())


def per_category_f1(gold: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """F1 per value id, in :data:`VALUE_IDS` order."""
    out: dict[str, float] = {}
    for j, vid in enumerate(VALUE_IDS):
        out[vid] = macro_f1(gold[:, j : j + 1], pred[:, j : j + 1])
    return out


def exemplar_texts() -> tuple[list[str], np.ndarray, str]:
    """All exemplar sentences of ``prompts/values.yaml`` (nl and en), their value index, and
    a hash of them, so a stale npz can be detected after the YAML is edited."""
    from agent.prompts import load_yaml

    data = load_yaml("values.yaml")
    texts: list[str] = []
    labels: list[int] = []
    for j, vid in enumerate(VALUE_IDS):
        for lang in ("nl", "en"):
            for text in data[vid]["exemplars"][lang]:
                texts.append(str(text))
                labels.append(j)
    digest = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()
    return texts, np.array(labels, dtype=np.int64), digest


class ValueClassifier:
    """The trained value head plus exemplar centroids, with tuned per-value thresholds.

    ``centroids`` has 21 rows: the 20 values in :data:`VALUE_IDS` order, then procedural talk.
    """

    def __init__(
        self,
        weights: np.ndarray,
        bias: np.ndarray,
        centroids: np.ndarray,
        thresholds: np.ndarray,
        thresholds_head: np.ndarray,
        meta: dict[str, Any],
    ) -> None:
        k = len(VALUE_IDS)
        if weights.shape[1] != k or bias.shape != (k,) or centroids.shape[0] != k + 1:
            raise ValueError("value head does not match the 20 value categories")
        if tuple(meta.get("value_ids", VALUE_IDS)) != VALUE_IDS:
            raise ValueError("value head was trained with another category order")
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.centroids = centroids.astype(np.float32)
        self.thresholds = thresholds.astype(np.float32)
        self.thresholds_head = thresholds_head.astype(np.float32)
        self.meta = meta
        self.blend_weight = float(meta.get("blend_weight", BLEND_WEIGHT))
        self.blend_temperature = float(meta.get("blend_temperature", BLEND_TEMPERATURE))

    @classmethod
    def load(cls) -> ValueClassifier:
        """Load the shipped npz (package ``agent``, ``data/values_head.npz``)."""
        ref = resources.files(_DATA_PACKAGE).joinpath(_DATA_PATH)
        with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as npz:
            meta = json.loads(str(npz["meta"]))
            clf = cls(
                npz["weights"],
                npz["bias"],
                npz["centroids"],
                npz["thresholds"],
                npz["thresholds_head"],
                meta,
            )
        try:
            if exemplar_texts()[2] != meta.get("exemplars_sha256"):
                # Still usable, but the centroids no longer match the YAML on disk.
                log.warning("prompts/values.yaml changed since training; rerun train_values")
        except Exception:  # the YAML is advisory here; a missing file must not stop scoring
            log.warning("could not read prompts/values.yaml to check the value head")
        return clf

    @property
    def input_format(self) -> str:
        """How a Touché argument was turned into text for training (e.g. ``premise``)."""
        return str(self.meta.get("input_format", "premise"))

    def scores(self, vectors: np.ndarray, *, blend: bool = True) -> np.ndarray:
        """Per-value scores in [0, 1], shape ``(n, 20)``, columns in :data:`VALUE_IDS` order.

        ``vectors`` are L2-normalised ``passage:`` embeddings, shape ``(n, 384)`` or ``(384,)``.
        With ``blend=False`` the head's own probabilities are returned.
        """
        x = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        if x.shape[0] == 0:
            return np.zeros((0, len(VALUE_IDS)), dtype=np.float32)
        head = sigmoid(x @ self.weights + self.bias)
        if not blend:
            return head.astype(np.float32)
        mixed = blend_scores(head, x @ self.centroids.T, self.blend_weight, self.blend_temperature)
        return mixed.astype(np.float32)

    def thresholds_for(self, *, blend: bool = True) -> np.ndarray:
        """The tuned per-value decision thresholds for blended or head-only scores."""
        return self.thresholds if blend else self.thresholds_head

    def labels(self, vectors: np.ndarray, *, blend: bool = True) -> list[list[str]]:
        """Value ids whose score reaches its tuned threshold, strongest first, per row."""
        s = self.scores(vectors, blend=blend)
        th = self.thresholds_for(blend=blend)
        out: list[list[str]] = []
        for row in s:
            hit = np.flatnonzero(row >= th)
            out.append([VALUE_IDS[j] for j in hit[np.argsort(-(row[hit] - th[hit]))]])
        return out

    def sentence_evidence(self, scores: np.ndarray) -> list[tuple[int, str, float]]:
        """Per sentence, its single strongest value as ``(index, value id, margin)``.

        The margin is :meth:`profile`'s evidence (how far the score clears the value's
        threshold, rescaled to [0, 1]); sentences that clear no threshold are left out.
        Summing these margins per value over a participant's sentences gives exactly
        :meth:`profile`'s strengths with ``sentence_top=1``, so the agent can keep a
        running tally instead of rescoring everything a participant ever said.
        """
        s = np.atleast_2d(np.asarray(scores, dtype=np.float32))
        if s.size == 0:
            return []
        th = self.thresholds
        margin = np.clip((s - th) / (1.0 - th), 0.0, None)
        out: list[tuple[int, str, float]] = []
        for i, row in enumerate(margin):
            j = int(np.argmax(row))
            if row[j] > 0:
                out.append((i, VALUE_IDS[j], round(float(row[j]), 4)))
        return out

    def profile(
        self,
        scores: np.ndarray,
        top_k: int = 3,
        *,
        relative_cutoff: float = RELATIVE_CUTOFF,
        sentence_top: int = SENTENCE_TOP,
    ) -> list[ValueEvidence]:
        """Aggregate the sentence scores of ONE participant into the values to show.

        ``scores`` is :meth:`scores` (blended) over all of that participant's sentences, from
        their position and their utterances. The aggregation:

        1. *Margin.* Per sentence and value, evidence is how far the score clears that
           value's tuned threshold, rescaled to [0, 1]: ``max(0, s - t) / (1 - t)``. A
           sentence below threshold contributes nothing, so procedural talk ("welkom",
           "eens") adds no values.
        2. *Focus.* A sentence supports at most its ``sentence_top`` strongest values, so one
           rich sentence cannot spread weak support over many values.
        3. *Sum.* A value's strength is the sum of its evidence over sentences: a value a
           participant returns to in several sentences outweighs a single passing mention.
        4. *Relative cut-off.* Only values with at least ``relative_cutoff`` times the
           strongest value's strength are kept, at most ``top_k``, strongest first. Facilitators
           see what drives this person, not every value with some score.

        Returns an empty list when there are no sentences or none clears a threshold.
        """
        s = np.atleast_2d(np.asarray(scores, dtype=np.float32))
        if s.size == 0 or top_k <= 0:
            return []
        if s.shape[1] != len(VALUE_IDS):
            raise ValueError(f"expected scores of shape (n, {len(VALUE_IDS)}), got {s.shape}")
        th = self.thresholds
        margin = np.clip((s - th) / (1.0 - th), 0.0, None)
        if 0 < sentence_top < len(VALUE_IDS):
            # Zero everything below each sentence's sentence_top-th largest margin.
            kth = -np.sort(-margin, axis=1)[:, sentence_top - 1 : sentence_top]
            margin = np.where(margin >= kth, margin, 0.0)
        strength = margin.sum(axis=0)
        best = float(strength.max())
        if best <= 0.0:
            return []
        order = [j for j in np.argsort(-strength, kind="stable") if strength[j] > 0]
        kept = [j for j in order if strength[j] >= relative_cutoff * best][:top_k]
        out: list[ValueEvidence] = []
        for j in kept:
            support = np.flatnonzero(margin[:, j] > 0)
            support = support[np.argsort(-margin[support, j], kind="stable")]
            out.append(
                ValueEvidence(
                    value_id=VALUE_IDS[j],
                    strength=round(float(strength[j]), 4),
                    sentence_indices=tuple(int(i) for i in support),
                )
            )
        return out


@functools.cache
def get_classifier() -> ValueClassifier:
    """The process-wide classifier, loaded from the shipped npz on first use."""
    return ValueClassifier.load()


def value_index(value_id: str) -> int:
    """Column of ``value_id`` in score matrices; raises ``KeyError`` for unknown ids."""
    try:
        return VALUE_IDS.index(value_id)
    except ValueError:
        raise KeyError(value_id) from None


def top_values(row: Sequence[float], k: int = 3) -> list[str]:
    """The ``k`` highest-scoring value ids of one score row, strongest first."""
    arr = np.asarray(row, dtype=np.float32)
    return [VALUE_IDS[j] for j in np.argsort(-arr, kind="stable")[:k]]
