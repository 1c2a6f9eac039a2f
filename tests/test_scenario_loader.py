"""Loading and validating scenario files (format version 1)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from evals.scenario import (
    Scenario,
    ScenarioError,
    StepItem,
    UtteranceItem,
    find_scenarios,
    load_scenario,
    load_scenarios,
)

EXAMPLE = Path("/work/shared/example-scenario.yaml")

BASE: dict[str, Any] = {
    "format": 1,
    "id": "small-meeting",
    "language": "en",
    "topic": {"title": "Timetable", "kind": "operational", "goal": "Understand each other"},
    "parties": [{"id": "staff", "name": "Staff"}, {"id": "students", "name": "Students"}],
    "participants": [
        {"id": "fac", "name": "Fay", "party": "staff", "role": "facilitator"},
        {"id": "ann", "name": "Ann", "party": "staff"},
        {"id": "bo", "name": "Bo", "party": "students", "role": "chair of the council"},
    ],
    "positions": [{"participant": "bo", "text": "A stable timetable."}],
    "transcript": [
        {"step": "values"},
        {"id": "u1", "speaker": "ann", "text": "Predictability matters to us."},
        {"id": "u2", "speaker": "bo", "text": "To us too."},
        {"step": "connection"},
        {"id": "u3", "speaker": "fac", "text": "What do we share?"},
    ],
    "expect": {
        "topic_suitable": True,
        "values": {"ann": ["security-personal"], "bo": ["security-personal"]},
        "agreements": [
            {"id": "a1", "about": "Predictability", "parties": ["staff", "students"],
             "evidence": ["u1", "u2"]},
        ],
        "non_agreements": [["u1", "u3"]],
        "not_agreed": ["u3"],
        "us_them": [],
        "solution_talk": [],
    },
}  # fmt: skip


def write(tmp_path: Path, data: Any, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def variant(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    edit(data)
    return data


def load_error(tmp_path: Path, data: Any) -> ScenarioError:
    path = write(tmp_path, data)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


def test_example_scenario_loads() -> None:
    scenario = load_scenario(EXAMPLE)
    assert scenario.id == "roc-begroting-2027"
    assert scenario.language == "nl"
    assert [u.id for u in scenario.utterances()] == [f"u{i}" for i in range(1, 14)]
    assert scenario.speaker_party("u5") == "sr"
    assert scenario.party_of("henk") == "cvb"
    assert scenario.step_of("u6") == "values"
    assert scenario.expect.agreements is not None
    assert scenario.expect.agreements[1].evidence == ("u4", "u5", "u11", "u12")
    assert scenario.expect.missing_parties is None  # absent key: not labelled
    assert scenario.warnings() == []


def test_base_loads_with_helpers(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, BASE))
    assert isinstance(scenario.transcript[0], StepItem)
    assert isinstance(scenario.transcript[1], UtteranceItem)
    assert [u.id for u in scenario.utterances()] == ["u1", "u2", "u3"]
    assert scenario.speaker_party("u2") == "students"
    assert scenario.participants[0].is_facilitator
    assert scenario.participants[2].role == "chair of the council"
    assert scenario.expect.us_them == ()


@pytest.mark.parametrize(
    ("edit", "field", "words"),
    [
        (
            lambda d: d["transcript"][2].update(speaker="zed"),
            "transcript[2].speaker",
            "unknown speaker 'zed'",
        ),
        (
            lambda d: d["transcript"][4].update(id="u1"),
            "transcript[4].id",
            "duplicate utterance id 'u1'",
        ),
        (
            lambda d: d["expect"]["values"]["bo"].append("security-persona"),
            "expect.values.bo[1]",
            "unknown value id 'security-persona'",
        ),
        (
            lambda d: d["transcript"][3].update(step="vote"),
            "transcript[3].step",
            "'vote'",
        ),
        (
            lambda d: d["expect"]["agreements"][0]["evidence"].append("u9"),
            "expect.agreements[0].evidence[2]",
            "unknown utterance id 'u9'",
        ),
        (
            lambda d: d["expect"]["agreements"][0]["parties"].append("board"),
            "expect.agreements[0].parties[2]",
            "unknown party 'board'",
        ),
        (
            lambda d: d["expect"]["values"].update(cy=["humility"]),
            "expect.values.cy",
            "unknown participant 'cy'",
        ),
        (
            lambda d: d["expect"].update(us_them=["u1", "u7"]),
            "expect.us_them[1]",
            "unknown utterance id 'u7'",
        ),
        (
            lambda d: d["expect"]["non_agreements"].append(["u1", "u2", "u3"]),
            "expect.non_agreements[1]",
            "pair",
        ),
        (
            lambda d: d["participants"][1].update(party="board"),
            "participants[1].party",
            "unknown party 'board'",
        ),
        (
            lambda d: d["positions"][0].update(participant="cy"),
            "positions[0].participant",
            "unknown participant 'cy'",
        ),
        (lambda d: d.update(notes="x"), "notes", "unknown key"),
        (lambda d: d["expect"].update(agreement=[]), "expect.agreement", "unknown key"),
        (lambda d: d.update(format=2), "format", "got 2"),
        (lambda d: d.update(id="Small_Meeting"), "id", "kebab-case"),
        (lambda d: d.update(language="de"), "language", "got 'de'"),
        (lambda d: d["topic"].update(kind="party"), "topic.kind", "got 'party'"),
        (lambda d: d["transcript"][1].pop("id"), "transcript[1].id", "missing"),
        (lambda d: d["transcript"].append("hello"), "transcript[5]", "transcript item"),
    ],
)
def test_errors_name_file_and_field(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None], field: str, words: str
) -> None:
    error = load_error(tmp_path, variant(edit))
    message = str(error)
    assert error.field == field
    assert error.path.name == "scenario.yaml"
    assert "scenario.yaml:" in message
    assert f": {field}: " in message
    assert words in message


def test_error_gives_line_of_field(tmp_path: Path) -> None:
    path = write(tmp_path, variant(lambda d: d["transcript"][2].update(speaker="zed")))
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "zed" in text)
    with pytest.raises(ScenarioError, match=rf"scenario\.yaml:{line}: transcript\[2\]\.speaker"):
        load_scenario(path)


def test_every_problem_is_reported(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["transcript"][2]["speaker"] = "zed"
        d["expect"]["not_agreed"] = ["u8"]

    error = load_error(tmp_path, variant(edit))
    assert [p.field for p in error.problems] == ["transcript[2].speaker", "expect.not_agreed[0]"]
    assert len(str(error).splitlines()) == 2


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("format: 1\nid: x\n  language: en\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"broken\.yaml:3: invalid YAML") as info:
        load_scenario(path)
    assert info.value.field is None


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("format: 1\nid: a\nid: b\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"dup\.yaml:3: .*duplicate key 'id'"):
        load_scenario(path)


def test_empty_and_non_mapping_files(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("", encoding="utf-8")
    with pytest.raises(ScenarioError, match="empty"):
        load_scenario(tmp_path / "empty.yaml")
    with pytest.raises(ScenarioError, match="mapping"):
        load_scenario(write(tmp_path, ["format", 1]))


def test_unquoted_yaml_boolean_id_gets_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    path.write_text(path.read_text().replace("id: ann", "id: no", 1), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"participants\[1\]\.id: .*quote it"):
        load_scenario(path)


def test_direct_construction_also_checks_references() -> None:
    with pytest.raises(ValidationError, match=r"transcript\[2\]\.speaker: unknown speaker"):
        Scenario.model_validate(variant(lambda d: d["transcript"][2].update(speaker="zed")))


def test_find_scenarios_files_and_folders(tmp_path: Path) -> None:
    folder = tmp_path / "set"
    folder.mkdir()
    b = write(folder, BASE, "b.yml")
    a = write(folder, variant(lambda d: d.update(id="other")), "a.yaml")
    (folder / "notes.txt").write_text("not a scenario", encoding="utf-8")
    (folder / ".hidden.yaml").write_text("format: 1", encoding="utf-8")
    single = write(tmp_path, BASE, "single.yaml")

    assert find_scenarios([folder]) == [a, b]
    assert find_scenarios([single, folder, a]) == [single, a, b]  # a file named twice: once

    with pytest.raises(ScenarioError, match="no such file"):
        find_scenarios([tmp_path / "missing"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ScenarioError, match=r"no \*\.yaml"):
        find_scenarios([empty])


def test_load_scenarios_rejects_duplicate_ids(tmp_path: Path) -> None:
    write(tmp_path, BASE, "one.yaml")
    write(tmp_path, BASE, "two.yaml")
    with pytest.raises(ScenarioError, match=r"two\.yaml: id: duplicate scenario id"):
        load_scenarios([tmp_path])


def test_model_copy_does_not_keep_stale_lookups() -> None:
    scenario = load_scenario(EXAMPLE)
    assert scenario.speaker_party("u13") == "rvt"  # fills the lookup tables
    shorter = scenario.model_copy(update={"transcript": scenario.transcript[:3]})
    assert shorter.utterance_ids() == {"u1", "u2"}
    assert len(scenario.utterance_ids()) == 13
