"""Metric code of the eval runner, on hand-computed cases."""

from __future__ import annotations

import json
from typing import Any

import pytest

from evals.metrics import (
    METRIC_KEYS,
    Citation,
    PredictedAgreement,
    Predictions,
    QuestionResult,
    match_agreements,
    polarity_errors,
    pool,
    pool_by_language,
    score_scenario,
)
from evals.report import format_table, to_json
from evals.scenario import Scenario

# Three parties; party a has two speakers so that "two utterances, one party" can be tested.
#   u1 pa1 (a)   u2 pa2 (a)   u3 pb (b)   u4 pc (c)   u5 pb (b)   u6 pa1 (a)


def make_scenario(expect: dict[str, Any] | None = None, **overrides: Any) -> Scenario:
    data: dict[str, Any] = {
        "format": 1,
        "id": "hand-made",
        "language": "en",
        "topic": {"title": "T", "kind": "strategy", "goal": "G"},
        "parties": [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}, {"id": "c", "name": "C"}],
        "participants": [
            {"id": "pa1", "name": "A1", "party": "a", "role": "facilitator"},
            {"id": "pa2", "name": "A2", "party": "a"},
            {"id": "pb", "name": "B1", "party": "b"},
            {"id": "pc", "name": "C1", "party": "c"},
        ],
        "transcript": [
            {"step": "values"},
            {"id": "u1", "speaker": "pa1", "text": "one"},
            {"id": "u2", "speaker": "pa2", "text": "two"},
            {"id": "u3", "speaker": "pb", "text": "three"},
            {"step": "connection"},
            {"id": "u4", "speaker": "pc", "text": "four"},
            {"id": "u5", "speaker": "pb", "text": "five"},
            {"id": "u6", "speaker": "pa1", "text": "six"},
        ],
        "expect": expect or {},
    }
    data.update(overrides)
    return Scenario.model_validate(data)


def gold(*evidence: list[str]) -> list[dict[str, Any]]:
    return [
        {"id": f"g{i + 1}", "parties": ["a", "b"], "evidence": ev} for i, ev in enumerate(evidence)
    ]


def pa(pid: str, *evidence: str) -> PredictedAgreement:
    return PredictedAgreement(pid, tuple(evidence))


# -- agreements ----------------------------------------------------------------------------


def test_greedy_matching_takes_largest_overlap_first() -> None:
    scenario = make_scenario({"agreements": gold(["u1", "u3", "u4"], ["u3", "u4"])})
    preds = [pa("p1", "u3", "u4"), pa("p2", "u1", "u3", "u4")]
    # (g1, p2) share 3 utterances and go first; p1 is then left for g2. Matching in list order
    # would pair g1 with p1 instead.
    assert match_agreements(scenario, scenario.expect.agreements or (), preds) == [(0, 1), (1, 0)]
    result = score_scenario(scenario, Predictions(agreements=tuple(preds)))
    assert result.agreement_matches == (("g1", "p2"), ("g2", "p1"))
    assert result.metrics["agreement_precision"] == 1.0
    assert result.metrics["agreement_recall"] == 1.0


def test_each_gold_and_prediction_matches_at_most_once() -> None:
    scenario = make_scenario({"agreements": gold(["u3", "u4"])})
    preds = (pa("p1", "u3", "u4"), pa("p2", "u3", "u4"))
    result = score_scenario(scenario, Predictions(agreements=preds))
    assert result.agreement_matches == (("g1", "p1"),)  # tie: earlier prediction wins
    m = result.metrics
    assert m["agreement_precision"] == 0.5
    assert m["agreement_recall"] == 1.0
    assert m["agreement_f1"] == pytest.approx(2 / 3)


def test_two_utterances_of_one_party_do_not_match() -> None:
    scenario = make_scenario({"agreements": gold(["u1", "u2", "u3"])})
    # u1 and u2 are both party a: two shared utterances, but one party.
    assert match_agreements(scenario, scenario.expect.agreements or (), [pa("p", "u1", "u2")]) == []
    # u1 (a) and u3 (b): two parties.
    assert match_agreements(scenario, scenario.expect.agreements or (), [pa("p", "u1", "u3")]) == [
        (0, 0)
    ]
    # A single shared utterance is never enough.
    assert match_agreements(scenario, scenario.expect.agreements or (), [pa("p", "u3", "u6")]) == []


def test_position_evidence_takes_no_part_in_matching() -> None:
    scenario = make_scenario({"agreements": gold(["u1", "u3"])})
    agreements = scenario.expect.agreements or ()
    assert match_agreements(scenario, agreements, [pa("p", "u1", "pos:pb:0")]) == []
    assert match_agreements(scenario, agreements, [pa("p", "pos:pb:0", "u1", "u3")]) == [(0, 0)]
    # A position of party b does not supply the second party for two party-a utterances.
    same_party = make_scenario({"agreements": gold(["u1", "u2", "u3"])})
    gold_same = same_party.expect.agreements or ()
    assert match_agreements(same_party, gold_same, [pa("p", "u1", "u2", "pos:pb:0")]) == []
    result = score_scenario(same_party, Predictions(agreements=(pa("p", "pos:pb:0", "pos:pc:0"),)))
    assert result.metrics["agreement_precision"] == 0.0


def test_predictions_without_gold_agreements_count_against_precision() -> None:
    scenario = make_scenario({"agreements": []})
    m = score_scenario(scenario, Predictions(agreements=(pa("p", "u1", "u3"),))).metrics
    assert m["agreement_precision"] == 0.0
    assert m["agreement_recall"] is None
    assert m["agreement_f1"] == 0.0


# -- polarity ------------------------------------------------------------------------------


def test_polarity_errors_from_pairs_and_not_agreed() -> None:
    scenario = make_scenario({"non_agreements": [["u3", "u5"]], "not_agreed": ["u6"]})
    preds = (
        pa("both-sides", "u3", "u5"),  # error: both utterances of the pair
        pa("one-side", "u3", "u4"),  # fine: only one side
        pa("not-agreed", "u1", "u6"),  # error: cites a not_agreed utterance
        pa("twice", "u3", "u5", "u6"),  # error, counted once
        pa("via-position", "u3", "pos:u5"),  # fine: position ids are not utterances
    )
    assert polarity_errors(scenario, preds) == ["both-sides", "not-agreed", "twice"]
    result = score_scenario(scenario, Predictions(agreements=preds))
    assert result.metrics["polarity_errors"] == 3
    assert result.polarity_offenders == ("both-sides", "not-agreed", "twice")


def test_polarity_errors_zero_with_traps_and_null_without() -> None:
    with_traps = make_scenario({"not_agreed": ["u6"]})
    assert score_scenario(with_traps, Predictions()).metrics["polarity_errors"] == 0
    assert score_scenario(make_scenario(), Predictions()).metrics["polarity_errors"] is None


# -- values --------------------------------------------------------------------------------

VALUES_GOLD = {
    "pa1": ["benevolence-caring", "security-personal"],
    "pb": ["security-personal"],
    "pc": ["humility"],
}
VALUES_PRED = {
    "pa1": ("benevolence-caring", "achievement"),
    "pb": ("security-personal",),
    "pc": (),
    "pa2": ("face",),  # no gold for pa2: not counted
}


def test_values_micro_and_macro() -> None:
    scenario = make_scenario({"values": VALUES_GOLD})
    m = score_scenario(scenario, Predictions(values=VALUES_PRED)).metrics
    # (participant, value) pairs: tp = pa1/caring, pb/personal; fp = pa1/achievement;
    # fn = pa1/personal, pc/humility.
    assert m["values_micro_precision"] == pytest.approx(2 / 3)
    assert m["values_micro_recall"] == pytest.approx(2 / 4)
    assert m["values_micro_f1"] == pytest.approx(4 / 7)
    # Per gold value: caring 1.0; personal tp 1 fn 1 -> 2/3; humility 0.0. Achievement has no
    # gold support and is left out of the macro average.
    assert m["values_macro_f1"] == pytest.approx((1 + 2 / 3 + 0) / 3)


# -- sets, questions, grounding, start step -------------------------------------------------


def test_us_them_and_solution_talk() -> None:
    scenario = make_scenario({"us_them": ["u3", "u5"], "solution_talk": ["u2"]})
    pred = Predictions(us_them=frozenset({"u3", "u4"}), solution_talk=frozenset())
    m = score_scenario(scenario, pred).metrics
    assert (m["us_them_precision"], m["us_them_recall"], m["us_them_f1"]) == (0.5, 0.5, 0.5)
    assert m["solution_talk_precision"] is None  # nothing flagged
    assert m["solution_talk_recall"] == 0.0
    assert m["solution_talk_f1"] == 0.0


def test_metrics_with_nothing_to_count_are_null() -> None:
    scenario = make_scenario()  # no gold labels at all
    pred = Predictions(
        agreements=(pa("p", "u1", "u3"),),
        us_them=frozenset({"u3"}),
        solution_talk=frozenset({"u2"}),
        values={"pa1": ("humility",)},
        topic_suitable=True,
        missing_parties=("students",),
    )
    m = score_scenario(scenario, pred).metrics
    assert set(m) == set(METRIC_KEYS)
    assert m["step_discipline_violations"] == 0
    assert all(v is None for k, v in m.items() if k != "step_discipline_violations"), m


def test_present_but_empty_labels_count_false_alarms() -> None:
    scenario = make_scenario({"us_them": []})
    m = score_scenario(scenario, Predictions(us_them=frozenset({"u1"}))).metrics
    assert (m["us_them_precision"], m["us_them_recall"], m["us_them_f1"]) == (0.0, None, 0.0)
    empty = score_scenario(scenario, Predictions()).metrics
    assert (empty["us_them_precision"], empty["us_them_recall"], empty["us_them_f1"]) == (
        None,
        None,
        None,
    )


def test_questions_and_grounding() -> None:
    pred = Predictions(
        questions=(
            QuestionResult("What matters to you?", True, ()),
            QuestionResult("Shall we cut?", False, ("closed", "proposal")),
        ),
        citations=(
            Citation("u1", "one", True),
            Citation("u2", "two", True),
            Citation("u9", "nine", False),
        ),
    )
    m = score_scenario(make_scenario(), pred).metrics
    assert m["question_pass_rate"] == 0.5
    assert m["grounding_valid_rate"] == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("gold_value", "predicted", "expected"),
    [(True, True, 1.0), (True, False, 0.0), (True, None, 0.0), (False, False, 1.0)],
)
def test_topic_suitable(gold_value: bool, predicted: bool | None, expected: float) -> None:
    scenario = make_scenario({"topic_suitable": gold_value})
    m = score_scenario(scenario, Predictions(topic_suitable=predicted)).metrics
    assert m["topic_suitable_accuracy"] == expected


def test_missing_party_substring_match() -> None:
    scenario = make_scenario({"missing_parties": ["leerling", "ouder"]})
    pred = Predictions(missing_parties=("De LEERLINGENRAAD", "docenten"))
    assert score_scenario(scenario, pred).metrics["missing_party_recall"] == 0.5
    both = Predictions(missing_parties=("leerlingen", "ouders"))
    assert score_scenario(scenario, both).metrics["missing_party_recall"] == 1.0
    none_expected = make_scenario({"missing_parties": []})
    assert score_scenario(none_expected, pred).metrics["missing_party_recall"] is None


# -- pooling -------------------------------------------------------------------------------


def test_pool_adds_counts_not_rates() -> None:
    one = make_scenario(
        {"agreements": gold(["u1", "u3"]), "values": {"pa1": ["humility"]}},
        id="one",
        language="nl",
    )
    three = make_scenario(
        {
            "agreements": gold(["u1", "u3"], ["u3", "u4"], ["u4", "u6"]),
            "values": {"pb": ["humility", "face"]},
        },
        id="three",
    )
    r1 = score_scenario(
        one,
        Predictions(
            agreements=(pa("p", "u1", "u3"),),
            values={"pa1": ("humility",)},
            questions=(QuestionResult("q", True),),
            step_discipline_violations=1,
        ),
    )
    r2 = score_scenario(
        three,
        Predictions(
            agreements=(pa("p", "u1", "u2"),),  # one party: no match
            values={"pb": ("humility",)},
            questions=(
                QuestionResult("q", True),
                QuestionResult("q", False),
                QuestionResult("q", False),
            ),
            step_discipline_violations=2,
        ),
    )
    overall = pool([r1, r2])
    # tp 1, fp 0 + 1, fn 0 + 3. Averaging the rates would give recall (1 + 0) / 2 = 0.5.
    assert overall["agreement_precision"] == 0.5
    assert overall["agreement_recall"] == 0.25
    assert overall["agreement_f1"] == pytest.approx(2 / (2 + 1 + 3))
    # 2 of 4 questions pass; the mean of per-scenario rates would be (1 + 1/3) / 2.
    assert overall["question_pass_rate"] == 0.5
    # values: humility tp 2; face fn 1 -> micro 4 / (4 + 0 + 1); macro (1.0 + 0.0) / 2.
    assert overall["values_micro_f1"] == pytest.approx(4 / 5)
    assert overall["values_macro_f1"] == pytest.approx(0.5)
    assert overall["step_discipline_violations"] == 3
    assert overall["us_them_f1"] is None
    assert overall["scenarios"] == 2
    assert set(METRIC_KEYS) | {"scenarios"} <= set(overall)

    by_language = pool_by_language([r1, r2])
    assert list(by_language) == ["en", "nl"]
    assert by_language["nl"]["agreement_recall"] == 1.0
    assert by_language["en"]["agreement_recall"] == 0.0
    assert by_language["en"]["scenarios"] == 1


def test_language_thresholds_fail_the_weaker_language_only() -> None:
    from evals.runner import check_language_thresholds, check_thresholds

    nl = make_scenario({"values": {"pa1": ["humility"]}}, id="nl", language="nl")
    en = make_scenario({"values": {"pa1": ["humility"], "pb": ["face"]}}, id="en")
    r_nl = score_scenario(nl, Predictions(values={"pa1": ("humility",)}))
    r_en = score_scenario(en, Predictions(values={"pa1": ("humility",), "pb": ("tradition",)}))
    limits = {"min": {"values_micro_f1": 0.6}}
    # Pooled: tp 2, fp 1, fn 1 -> micro-F1 4 / 6 = 0.67, which passes overall ...
    assert check_thresholds(pool([r_nl, r_en]), limits) == []
    # ... while English alone is 2 / 4 = 0.5 and fails, named by its language.
    failures = check_language_thresholds([r_nl, r_en], limits)
    assert len(failures) == 1 and failures[0].startswith("[en] values_micro_f1 = 0.5")
    assert check_language_thresholds([r_nl], limits) == []


def test_pool_of_nothing_is_null() -> None:
    overall = pool([])
    assert overall["scenarios"] == 0
    assert overall["agreement_f1"] is None
    assert overall["step_discipline_violations"] == 0


# -- report --------------------------------------------------------------------------------


def test_report_json_and_table() -> None:
    scenario = make_scenario({"agreements": gold(["u1", "u3"]), "us_them": ["u3"]})
    result = score_scenario(
        scenario, Predictions(agreements=(pa("p", "u1", "u3"), pa("q", "u4", "u6")))
    )
    report = to_json([result])
    json.dumps(report)  # must be serialisable as is
    assert report["scenarios"][0]["id"] == "hand-made"
    assert report["scenarios"][0]["language"] == "en"
    assert report["scenarios"][0]["metrics"]["agreement_precision"] == 0.5
    assert report["overall"]["scenarios"] == 1
    assert set(report["by_language"]) == {"en"}

    table = format_table([result])
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["scenario", "lang", "agr", "P"]
    row = lines[2].split()
    assert row[:5] == ["hand-made", "en", "0.50", "1.00", "0.67"]
    assert row[6] == "-"  # values not labelled
    assert row[7] == "0.00"  # us/them: one gold, nothing flagged
    assert lines[-1].startswith("OVERALL")
    assert len({len(line) for line in lines[:2]}) == 1  # header and rule line up
