"""The eval report: JSON for machines, a fixed-width table for people."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from evals.metrics import ScenarioMetrics, pool, pool_by_language

__all__ = ["COLUMNS", "format_table", "to_json"]

#: (header, metric key) of the table's metric columns, in order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("agr P", "agreement_precision"),
    ("agr R", "agreement_recall"),
    ("agr F1", "agreement_f1"),
    ("pol.err", "polarity_errors"),
    ("val µF1", "values_micro_f1"),
    ("us/them F1", "us_them_f1"),
    ("sol F1", "solution_talk_f1"),
    ("q pass", "question_pass_rate"),
    ("grounding", "grounding_valid_rate"),
    ("topic ok", "topic_suitable_accuracy"),
    ("missing R", "missing_party_recall"),
    ("step viol", "step_discipline_violations"),
)


def to_json(results: Sequence[ScenarioMetrics]) -> dict[str, Any]:
    """The report as JSON-able data.

    Shape: ``{"scenarios": [{"id", "language", "metrics", "counts", "agreement_matches",
    "polarity_offenders"}], "overall": {...}, "by_language": {lang: {...}}}``. Rates are not
    rounded here, so the JSON stays exact; ``overall`` and each ``by_language`` entry hold the
    pooled (micro-averaged) metrics plus ``scenarios``, the number of scenarios pooled.
    """
    return {
        "scenarios": [
            {
                "id": r.scenario_id,
                "language": r.language,
                "metrics": r.metrics,
                # The counts let a reader check every rate and re-pool any subset.
                "counts": r.tally.counts(),
                "agreement_matches": [list(pair) for pair in r.agreement_matches],
                "polarity_offenders": list(r.polarity_offenders),
            }
            for r in results
        ],
        "overall": pool(results),
        "by_language": pool_by_language(results),
    }


def _cell(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):  # never expected, but bool is an int subclass
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    return f"{value:.2f}"


def format_table(results: Sequence[ScenarioMetrics]) -> str:
    """A fixed-width text table: one row per scenario, a row per language when there is more
    than one, and an OVERALL row. Null metrics print as "-", rates with 2 decimals."""
    rows: list[tuple[str, str, Mapping[str, float | int | None]]] = [
        (r.scenario_id, r.language, r.metrics) for r in results
    ]
    footer: list[tuple[str, str, Mapping[str, float | int | None]]] = []
    by_language = pool_by_language(results)
    if len(by_language) > 1:
        footer += [("OVERALL", lang, m) for lang, m in by_language.items()]
    footer.append(("OVERALL", "", pool(results)))

    headers = ["scenario", "lang", *(h for h, _ in COLUMNS)]
    body = [
        [name, lang, *(_cell(metrics.get(key)) for _, key in COLUMNS)]
        for name, lang, metrics in [*rows, *footer]
    ]
    widths = [max(len(line[i]) for line in [headers, *body]) for i in range(len(headers))]

    def render(cells: Sequence[str]) -> str:
        # Names left-aligned, numbers right-aligned so the decimals line up.
        first = [c.ljust(w) for c, w in zip(cells[:2], widths[:2], strict=True)]
        rest = [c.rjust(w) for c, w in zip(cells[2:], widths[2:], strict=True)]
        return "  ".join(first + rest).rstrip()

    rule = "  ".join("-" * w for w in widths)
    lines = [render(headers), rule]
    lines += [render(line) for line in body[: len(rows)]]
    lines.append(rule)
    lines += [render(line) for line in body[len(rows) :]]
    return "\n".join(lines)
