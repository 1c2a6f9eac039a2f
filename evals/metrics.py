"""Scenario metrics, exactly as ``scenario-format.md`` defines them.

Pure functions: no I/O and no agent imports. The runner collects :class:`Predictions` while it
plays a scenario, then :func:`score_scenario` compares them with the gold labels in
``scenario.expect``. Every result keeps its raw counts (:class:`Tally`) so that :func:`pool`
can micro-average exactly: it adds the counts of all scenarios and only then computes rates.

Conventions (the same per scenario and overall):

* A metric with nothing to count is ``None`` (JSON ``null``), never a made-up 1.0 or 0.0.
* A gold key that is absent from ``expect`` means "not labelled": its metrics are ``None`` and
  the scenario adds nothing to the pooled counts for it. A key that is present but empty (e.g.
  ``us_them: []``) is a label ("there is none"), so predictions count as false positives.
* precision = tp / (tp + fp), ``None`` without predictions; recall = tp / (tp + fn), ``None``
  without gold. F1 = 2·tp / (2·tp + fp + fn), which equals the harmonic mean of precision and
  recall when both are defined (and is 0.0 when they sum to 0); it is 0.0 when only one side
  exists and nothing matched, and ``None`` when there are neither predictions nor gold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from evals.scenario import GoldAgreement, Scenario

__all__ = [
    "METRIC_KEYS",
    "Citation",
    "PRCounts",
    "PredictedAgreement",
    "Predictions",
    "QuestionResult",
    "Ratio",
    "ScenarioMetrics",
    "Tally",
    "f1_score",
    "match_agreements",
    "polarity_errors",
    "pool",
    "pool_by_language",
    "pool_tally",
    "score_scenario",
]

# The keys of every metrics dict, in report order (``pool`` adds "scenarios").
METRIC_KEYS: tuple[str, ...] = (
    "agreement_precision",
    "agreement_recall",
    "agreement_f1",
    "polarity_errors",
    "values_micro_precision",
    "values_micro_recall",
    "values_micro_f1",
    "values_macro_f1",
    "us_them_precision",
    "us_them_recall",
    "us_them_f1",
    "solution_talk_precision",
    "solution_talk_recall",
    "solution_talk_f1",
    "question_pass_rate",
    "grounding_valid_rate",
    "topic_suitable_accuracy",
    "missing_party_recall",
    "step_discipline_violations",
)


# -- predictions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PredictedAgreement:
    """A point of agreement the agent proposed.

    ``evidence`` holds utterance ids and/or position ids; anything that is not an utterance id
    of the scenario takes no part in matching or in polarity errors.
    """

    id: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Citation:
    """A citation in any agent output; ``valid`` is decided by the runner against the store
    (the ref exists in this meeting and the quote occurs in it verbatim)."""

    ref: str
    quote: str
    valid: bool


@dataclass(frozen=True)
class QuestionResult:
    """A values-step question the agent proposed, already checked by the runner."""

    text: str
    passed: bool
    failures: tuple[str, ...] = ()


@dataclass(frozen=True)
class Predictions:
    """Everything the runner collected from the agent for one scenario."""

    topic_suitable: bool | None = None
    missing_parties: tuple[str, ...] = ()  # names the agent gives as missing
    # participant id -> value ids the agent would show the facilitator (its top values)
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    agreements: tuple[PredictedAgreement, ...] = ()
    us_them: frozenset[str] = frozenset()
    solution_talk: frozenset[str] = frozenset()
    questions: tuple[QuestionResult, ...] = ()
    citations: tuple[Citation, ...] = ()
    step_discipline_violations: int = 0


# -- counts --------------------------------------------------------------------------------


def _div(num: int, den: int) -> float | None:
    return num / den if den else None


def f1_score(tp: int, fp: int, fn: int) -> float | None:
    """F1 from counts; ``None`` when there are neither predictions nor gold."""
    return _div(2 * tp, 2 * tp + fp + fn)


@dataclass(frozen=True)
class PRCounts:
    """True positives, false positives and false negatives of one set comparison."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        """tp / predictions; None without predictions."""
        return _div(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        """tp / gold; None without gold."""
        return _div(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float | None:
        """See :func:`f1_score`."""
        return f1_score(self.tp, self.fp, self.fn)

    def __add__(self, other: PRCounts) -> PRCounts:
        return PRCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @classmethod
    def of_sets(cls, predicted: Iterable[str], gold: Iterable[str]) -> PRCounts:
        """Compare two sets of ids."""
        p, g = set(predicted), set(gold)
        return cls(len(p & g), len(p - g), len(g - p))


@dataclass(frozen=True)
class Ratio:
    """``hits`` out of ``total``; the rate is None when there is nothing to count."""

    hits: int = 0
    total: int = 0

    @property
    def rate(self) -> float | None:
        """hits / total, or None when total is 0."""
        return _div(self.hits, self.total)

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.hits + other.hits, self.total + other.total)


_Summable = TypeVar("_Summable", PRCounts, Ratio)


def _add_optional(a: _Summable | None, b: _Summable | None) -> _Summable | None:
    # None is "not labelled": it is the identity, so labelled scenarios pool among themselves.
    if a is None:
        return b
    if b is None:
        return a
    return a + b


@dataclass(frozen=True)
class Tally:
    """The raw counts behind every metric; adding tallies pools scenarios (micro-average).

    A field is ``None`` when the scenario has no gold for it (the key is absent from
    ``expect``), so that it takes no part in pooling.
    """

    agreements: PRCounts | None = None
    polarity_errors: int | None = None  # None when the scenario sets no traps
    values: PRCounts | None = None
    # value id -> counts over participants; every value seen in gold or predictions of a
    # labelled participant, so pooled per-value counts are exact. Macro-F1 only averages the
    # values with gold support (tp + fn > 0).
    values_per_value: Mapping[str, PRCounts] = field(default_factory=dict)
    us_them: PRCounts | None = None
    solution_talk: PRCounts | None = None
    questions: Ratio = Ratio()
    grounding: Ratio = Ratio()
    topic_suitable: Ratio = Ratio()
    missing_parties: Ratio = Ratio()
    step_discipline_violations: int = 0

    def __add__(self, other: Tally) -> Tally:
        per_value = dict(self.values_per_value)
        for value, counts in other.values_per_value.items():
            per_value[value] = per_value.get(value, PRCounts()) + counts
        polarity = (
            None
            if self.polarity_errors is None and other.polarity_errors is None
            else (self.polarity_errors or 0) + (other.polarity_errors or 0)
        )
        return Tally(
            agreements=_add_optional(self.agreements, other.agreements),
            polarity_errors=polarity,
            values=_add_optional(self.values, other.values),
            values_per_value=per_value,
            us_them=_add_optional(self.us_them, other.us_them),
            solution_talk=_add_optional(self.solution_talk, other.solution_talk),
            questions=self.questions + other.questions,
            grounding=self.grounding + other.grounding,
            topic_suitable=self.topic_suitable + other.topic_suitable,
            missing_parties=self.missing_parties + other.missing_parties,
            step_discipline_violations=(
                self.step_discipline_violations + other.step_discipline_violations
            ),
        )

    def values_macro_f1(self) -> float | None:
        """Mean per-value F1 over the values that occur in the gold labels."""
        scores = [c.f1 for c in self.values_per_value.values() if c.tp + c.fn > 0]
        present = [s for s in scores if s is not None]
        return sum(present) / len(present) if present else None

    def metrics(self) -> dict[str, float | int | None]:
        """Rates from the counts, keyed by :data:`METRIC_KEYS`."""
        agr, val = self.agreements, self.values
        us, sol = self.us_them, self.solution_talk
        return {
            "agreement_precision": agr.precision if agr else None,
            "agreement_recall": agr.recall if agr else None,
            "agreement_f1": agr.f1 if agr else None,
            "polarity_errors": self.polarity_errors,
            "values_micro_precision": val.precision if val else None,
            "values_micro_recall": val.recall if val else None,
            "values_micro_f1": val.f1 if val else None,
            "values_macro_f1": self.values_macro_f1() if val else None,
            "us_them_precision": us.precision if us else None,
            "us_them_recall": us.recall if us else None,
            "us_them_f1": us.f1 if us else None,
            "solution_talk_precision": sol.precision if sol else None,
            "solution_talk_recall": sol.recall if sol else None,
            "solution_talk_f1": sol.f1 if sol else None,
            "question_pass_rate": self.questions.rate,
            "grounding_valid_rate": self.grounding.rate,
            "topic_suitable_accuracy": self.topic_suitable.rate,
            "missing_party_recall": self.missing_parties.rate,
            "step_discipline_violations": self.step_discipline_violations,
        }

    def counts(self) -> dict[str, Any]:
        """The raw counts as plain JSON-able data (for the report)."""

        def pr(c: PRCounts | None) -> dict[str, int] | None:
            return None if c is None else {"tp": c.tp, "fp": c.fp, "fn": c.fn}

        def ratio(r: Ratio) -> dict[str, int]:
            return {"hits": r.hits, "total": r.total}

        return {
            "agreements": pr(self.agreements),
            "polarity_errors": self.polarity_errors,
            "values": pr(self.values),
            "values_per_value": {v: pr(c) for v, c in sorted(self.values_per_value.items())},
            "us_them": pr(self.us_them),
            "solution_talk": pr(self.solution_talk),
            "questions": ratio(self.questions),
            "grounding": ratio(self.grounding),
            "topic_suitable": ratio(self.topic_suitable),
            "missing_parties": ratio(self.missing_parties),
            "step_discipline_violations": self.step_discipline_violations,
        }


@dataclass(frozen=True)
class ScenarioMetrics:
    """The score of one scenario: its counts plus what explains them."""

    scenario_id: str
    language: str
    tally: Tally
    # (gold agreement id, predicted agreement id) for every match, in matching order
    agreement_matches: tuple[tuple[str, str], ...] = ()
    # ids of predicted agreements that count as polarity errors
    polarity_offenders: tuple[str, ...] = ()

    @property
    def metrics(self) -> dict[str, float | int | None]:
        """The per-scenario metrics (same keys as overall, minus ``scenarios``)."""
        return self.tally.metrics()


# -- agreements ----------------------------------------------------------------------------


def _utterance_evidence(scenario: Scenario, evidence: Iterable[str]) -> set[str]:
    """Only the utterances of this scenario count; position ids and unknown ids drop out."""
    ids = scenario.utterance_ids()
    return {e for e in evidence if e in ids}


def match_agreements(
    scenario: Scenario,
    gold: Sequence[GoldAgreement],
    predicted: Sequence[PredictedAgreement],
) -> list[tuple[int, int]]:
    """Pair gold and predicted agreements one-to-one; returns (gold index, prediction index).

    A pair is eligible when the evidence sets share at least two utterances spoken by at least
    two different parties. Eligible pairs are taken greedily by largest overlap (number of
    shared utterances); ties go to the earlier gold agreement, then the earlier prediction, so
    the result is deterministic.
    """
    pred_sets = [_utterance_evidence(scenario, p.evidence) for p in predicted]
    candidates: list[tuple[int, int, int]] = []
    for gi, g in enumerate(gold):
        g_set = _utterance_evidence(scenario, g.evidence)
        for pi, p_set in enumerate(pred_sets):
            shared = g_set & p_set
            if len(shared) >= 2 and len({scenario.speaker_party(u) for u in shared}) >= 2:
                candidates.append((-len(shared), gi, pi))
    candidates.sort()
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, gi, pi in candidates:
        if gi not in used_gold and pi not in used_pred:
            used_gold.add(gi)
            used_pred.add(pi)
            pairs.append((gi, pi))
    return pairs


def polarity_errors(scenario: Scenario, predicted: Sequence[PredictedAgreement]) -> list[str]:
    """Ids of predicted points whose evidence holds both sides of a ``non_agreements`` pair or
    any ``not_agreed`` utterance. Each point counts once, however many traps it falls into."""
    pairs = scenario.expect.non_agreements or ()
    not_agreed = set(scenario.expect.not_agreed or ())
    offenders: list[str] = []
    for p in predicted:
        evidence = _utterance_evidence(scenario, p.evidence)
        if evidence & not_agreed or any(a in evidence and b in evidence for a, b in pairs):
            offenders.append(p.id)
    return offenders


# -- scoring -------------------------------------------------------------------------------


def _values_counts(
    gold: Mapping[str, Sequence[str]], predicted: Mapping[str, Sequence[str]]
) -> tuple[PRCounts, dict[str, PRCounts]]:
    """Micro counts over (participant, value) pairs, and per-value counts over participants.

    Only participants listed in the gold labels are scored: a participant without gold values
    is unlabelled, so predictions for them count for nothing.
    """
    micro = PRCounts()
    per_value: dict[str, PRCounts] = {}
    for participant, gold_values in gold.items():
        g = set(gold_values)
        p = set(predicted.get(participant, ()))
        micro = micro + PRCounts.of_sets(p, g)
        for value in g | p:
            hit = PRCounts(
                tp=int(value in g and value in p),
                fp=int(value in p and value not in g),
                fn=int(value in g and value not in p),
            )
            per_value[value] = per_value.get(value, PRCounts()) + hit
    return micro, per_value


def _missing_parties(gold: Sequence[str] | None, named: Sequence[str]) -> Ratio:
    """Each gold stem is found when it occurs, case-insensitively, in any name the agent gave."""
    if not gold:
        return Ratio()
    names = [n.casefold() for n in named]
    found = sum(1 for stem in gold if any(stem.casefold() in n for n in names))
    return Ratio(found, len(gold))


def score_scenario(scenario: Scenario, pred: Predictions) -> ScenarioMetrics:
    """Score the predictions for one scenario against its gold labels."""
    expect = scenario.expect

    agreements: PRCounts | None = None
    matches: tuple[tuple[str, str], ...] = ()
    if expect.agreements is not None:
        pairs = match_agreements(scenario, expect.agreements, pred.agreements)
        matched = len(pairs)
        agreements = PRCounts(
            tp=matched, fp=len(pred.agreements) - matched, fn=len(expect.agreements) - matched
        )
        matches = tuple((expect.agreements[g].id, pred.agreements[p].id) for g, p in pairs)

    # Polarity errors are only counted when the scenario sets traps; otherwise there is
    # nothing to check and 0 would look like a pass.
    has_traps = bool(expect.non_agreements) or bool(expect.not_agreed)
    offenders = polarity_errors(scenario, pred.agreements) if has_traps else []

    values: PRCounts | None = None
    per_value: dict[str, PRCounts] = {}
    if expect.values is not None:
        values, per_value = _values_counts(expect.values, pred.values)

    if expect.topic_suitable is None:
        topic = Ratio()
    else:
        # No judgement from the agent when one was expected is wrong, not skipped.
        correct = pred.topic_suitable is not None and pred.topic_suitable == expect.topic_suitable
        topic = Ratio(int(correct), 1)

    tally = Tally(
        agreements=agreements,
        polarity_errors=len(offenders) if has_traps else None,
        values=values,
        values_per_value=per_value,
        us_them=(
            None if expect.us_them is None else PRCounts.of_sets(pred.us_them, expect.us_them)
        ),
        solution_talk=(
            None
            if expect.solution_talk is None
            else PRCounts.of_sets(pred.solution_talk, expect.solution_talk)
        ),
        questions=Ratio(sum(q.passed for q in pred.questions), len(pred.questions)),
        grounding=Ratio(sum(c.valid for c in pred.citations), len(pred.citations)),
        topic_suitable=topic,
        missing_parties=_missing_parties(expect.missing_parties, pred.missing_parties),
        step_discipline_violations=pred.step_discipline_violations,
    )
    return ScenarioMetrics(
        scenario_id=scenario.id,
        language=scenario.language,
        tally=tally,
        agreement_matches=matches,
        polarity_offenders=tuple(offenders),
    )


# -- pooling -------------------------------------------------------------------------------


def pool_tally(results: Iterable[ScenarioMetrics]) -> Tally:
    """The sum of the counts of all results."""
    total = Tally()
    for result in results:
        total = total + result.tally
    return total


def pool(results: Sequence[ScenarioMetrics]) -> dict[str, float | int | None]:
    """Overall metrics, micro-averaged: counts of every scenario are added, then rates taken.

    ``values_macro_f1`` averages per-value F1 computed from the pooled per-value counts.
    """
    overall = pool_tally(results).metrics()
    overall["scenarios"] = len(results)
    return overall


def pool_by_language(
    results: Sequence[ScenarioMetrics],
) -> dict[str, dict[str, float | int | None]]:
    """:func:`pool` per scenario language, languages in sorted order."""
    languages = sorted({r.language for r in results})
    return {lang: pool([r for r in results if r.language == lang]) for lang in languages}
