"""Scripted scenarios (format version 1): models, loading and validation.

The format is fixed by ``scenario-format.md``. A scenario file that breaks it is rejected with a
:class:`ScenarioError` whose message names the file, the field (as a dotted path such as
``transcript[3].speaker``; list indices count from 0 and include step items) and what is wrong,
with the line number where it can be found.

Validation happens in two passes: the structure (types, allowed keys, enumerations) through
pydantic, then the cross references (speakers, parties, every id that ``expect`` names) in
:func:`reference_problems`, which only runs once the structure is sound.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

__all__ = [
    "STEPS",
    "TOPIC_KINDS",
    "VALUE_IDS",
    "Expect",
    "GoldAgreement",
    "Participant",
    "Party",
    "Position",
    "Problem",
    "Scenario",
    "ScenarioError",
    "StepItem",
    "Topic",
    "TranscriptItem",
    "UtteranceItem",
    "find_scenarios",
    "load_scenario",
    "load_scenarios",
    "reference_problems",
]

FORMAT_VERSION = 1

#: The 20 value categories of Touché23-ValueEval (DESIGN.md), in the taxonomy's order.
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
_VALUE_ID_SET = frozenset(VALUE_IDS)

STEPS: tuple[str, ...] = ("start", "frame", "values", "connection", "synthesis")
TOPIC_KINDS: tuple[str, ...] = ("budget", "strategy", "change", "course", "operational")

Step = Literal["start", "frame", "values", "connection", "synthesis"]
TopicKind = Literal["budget", "strategy", "change", "course", "operational"]
Language = Literal["nl", "en"]

_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _check_value_id(value: str) -> str:
    if value not in _VALUE_ID_SET:
        close = difflib.get_close_matches(value, VALUE_IDS, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ValueError(f"unknown value id {value!r}: not one of the 20 taxonomy categories{hint}")
    return value


def _check_kebab(value: str) -> str:
    if not _KEBAB.match(value):
        raise ValueError(
            f"{value!r} is not kebab-case (lowercase letters and digits separated by '-')"
        )
    return value


# Ids are plain non-empty strings; YAML reads bare `no`/`yes`/numbers as other types, which
# pydantic rejects with "should be a valid string" and _describe() adds a quoting hint.
Id = Annotated[str, Field(min_length=1)]
ValueId = Annotated[str, AfterValidator(_check_value_id)]


class _Model(BaseModel):
    """Base: the format is fixed, so unknown keys are errors everywhere; models are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Topic(_Model):
    """What the meeting is about."""

    title: str
    kind: TopicKind
    # The format shows a goal, but nothing in the metrics needs it, so a file without one is
    # still accepted.
    goal: str | None = None


class Party(_Model):
    """A group at the table (a council, a board, a department)."""

    id: Id
    name: str


class Participant(_Model):
    """A person at the meeting; belongs to exactly one party."""

    id: Id
    name: str
    party: Id
    role: str | None = None  # "facilitator" or any other free text

    @property
    def is_facilitator(self) -> bool:
        """True when this participant leads the meeting."""
        return self.role == "facilitator"


class Position(_Model):
    """A written position a participant uploaded before the meeting."""

    participant: Id
    text: str


class StepItem(_Model):
    """The facilitator moves the meeting to a step."""

    step: Step


class UtteranceItem(_Model):
    """Something a participant said."""

    id: Id
    speaker: Id
    text: str


def _item_kind(value: Any) -> str | None:
    """Tell a step change from an utterance; anything else is reported as a bad item."""
    if isinstance(value, dict):
        return "<step>" if "step" in value else "<utterance>"
    if isinstance(value, StepItem):
        return "<step>"
    if isinstance(value, UtteranceItem):
        return "<utterance>"
    return None


# The tags are in angle brackets so _dotted() can drop them from error locations; they can
# never collide with a key of the format.
TranscriptItem = Annotated[
    Annotated[StepItem, Tag("<step>")] | Annotated[UtteranceItem, Tag("<utterance>")],
    Discriminator(
        _item_kind,
        custom_error_type="transcript_item",
        custom_error_message=(
            "a transcript item must be a step change {step: ...} or an utterance "
            "{id: ..., speaker: ..., text: ...}"
        ),
    ),
]


def _check_pair(pair: tuple[str, ...]) -> tuple[str, ...]:
    # Checked here rather than typed as tuple[Id, Id] so that the message says "pair".
    if len(pair) != 2:
        raise ValueError(f"must be a pair of two utterance ids, got {list(pair)}")
    if pair[0] == pair[1]:
        raise ValueError(f"a pair needs two different utterances, got {list(pair)}")
    return pair


UtterancePair = Annotated[tuple[Id, ...], AfterValidator(_check_pair)]


class GoldAgreement(_Model):
    """A point of agreement that two or more parties share (gold label)."""

    id: Id
    about: str | None = None  # for people; not scored
    parties: tuple[Id, ...] = ()
    evidence: tuple[Id, ...]


class Expect(_Model):
    """Gold labels. Every key is optional; ``None`` means "not labelled", not "empty"."""

    topic_suitable: bool | None = None
    missing_parties: tuple[str, ...] | None = None
    values: dict[Id, tuple[ValueId, ...]] | None = None
    agreements: tuple[GoldAgreement, ...] | None = None
    non_agreements: tuple[UtterancePair, ...] | None = None
    not_agreed: tuple[Id, ...] | None = None
    us_them: tuple[Id, ...] | None = None
    solution_talk: tuple[Id, ...] | None = None


class Scenario(_Model):
    """One scripted joint meeting: setup, positions, transcript and gold labels."""

    format: Literal[1]
    id: Annotated[str, AfterValidator(_check_kebab)]
    language: Language
    topic: Topic
    parties: tuple[Party, ...] = Field(min_length=1)
    participants: tuple[Participant, ...] = Field(min_length=1)
    positions: tuple[Position, ...] = ()
    transcript: tuple[TranscriptItem, ...]
    expect: Expect = Expect()

    @field_validator("format", mode="before")
    @classmethod
    def _format_not_bool(cls, value: Any) -> Any:
        # `format: true` would otherwise pass as 1 because True == 1.
        if isinstance(value, bool):
            raise ValueError(f"format must be {FORMAT_VERSION}, got {value!r}")
        return value

    @model_validator(mode="after")
    def _references(self, info: ValidationInfo) -> Self:
        problems = reference_problems(self)
        sink = info.context.get("reference_problems") if isinstance(info.context, dict) else None
        if isinstance(sink, list):
            # load_scenario() collects them to report each with its own field and line.
            sink.extend(problems)
        elif problems:
            raise ValueError("; ".join(f"{_dotted(p.loc)}: {p.message}" for p in problems))
        return self

    # -- helpers ---------------------------------------------------------------------------

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """As pydantic's, but the copy rebuilds its lookup tables (they may be stale)."""
        copied = super().model_copy(update=update, deep=deep)
        for name in _CACHED:
            copied.__dict__.pop(name, None)
        return copied

    def utterances(self) -> list[UtteranceItem]:
        """The utterances of the transcript, in order (step changes left out)."""
        return [item for item in self.transcript if isinstance(item, UtteranceItem)]

    @cached_property
    def _party_by_participant(self) -> dict[str, str]:
        return {p.id: p.party for p in self.participants}

    @cached_property
    def _utterance_by_id(self) -> dict[str, UtteranceItem]:
        return {u.id: u for u in self.utterances()}

    @cached_property
    def _step_by_utterance(self) -> dict[str, str | None]:
        steps: dict[str, str | None] = {}
        current: str | None = None
        for item in self.transcript:
            if isinstance(item, StepItem):
                current = item.step
            else:
                steps[item.id] = current
        return steps

    def utterance_ids(self) -> frozenset[str]:
        """All utterance ids of the transcript."""
        return frozenset(self._utterance_by_id)

    def utterance(self, utterance_id: str) -> UtteranceItem:
        """The utterance with this id; KeyError when there is none."""
        return self._utterance_by_id[utterance_id]

    def party_of(self, participant_id: str) -> str:
        """The party id of a participant; KeyError for an unknown participant."""
        return self._party_by_participant[participant_id]

    def speaker_party(self, utterance_id: str) -> str:
        """The party id of whoever spoke an utterance; KeyError for an unknown utterance."""
        return self.party_of(self._utterance_by_id[utterance_id].speaker)

    def step_of(self, utterance_id: str) -> str | None:
        """The step the meeting was in when the utterance was said (None before any step)."""
        return self._step_by_utterance[utterance_id]

    def warnings(self) -> list[str]:
        """Gold labels that are valid but look like mistakes (they are not errors).

        A gold agreement whose evidence cannot satisfy the matching rule (two utterances from
        two parties) can never be found; ``solution_talk`` outside the values step is not what
        the metric is about. The runner may print these.
        """
        found: list[str] = []
        ids = self.utterance_ids()
        for i, agreement in enumerate(self.expect.agreements or ()):
            utts = [u for u in agreement.evidence if u in ids]
            parties = {self.speaker_party(u) for u in utts}
            if len(utts) < 2 or len(parties) < 2:
                found.append(
                    f"expect.agreements[{i}].evidence: needs utterances from at least two "
                    "parties, or no prediction can ever match it"
                )
            elif agreement.parties and not set(agreement.parties) <= parties:
                found.append(
                    f"expect.agreements[{i}].parties: not every party speaks in the evidence"
                )
        for i, uid in enumerate(self.expect.solution_talk or ()):
            if uid in ids and self.step_of(uid) != "values":
                found.append(f"expect.solution_talk[{i}]: {uid!r} is not in the values step")
        return found


_CACHED = ("_party_by_participant", "_utterance_by_id", "_step_by_utterance")


# -- cross references ----------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file."""

    loc: tuple[str | int, ...]  # where, as pydantic locations: ("transcript", 3, "speaker")
    message: str
    line: int | None = None

    @property
    def field(self) -> str:
        """The dotted field path, e.g. ``transcript[3].speaker``."""
        return _dotted(self.loc)


def _known(ids: Iterable[str]) -> str:
    listed = sorted(ids)
    if len(listed) > 12:
        return ", ".join(listed[:12]) + ", ..."
    return ", ".join(listed) or "none"


def _duplicates(
    items: Sequence[Hashable], loc: tuple[str | int, ...], what: str, field: str | None = None
) -> Iterator[Problem]:
    seen: dict[Hashable, int] = {}
    for i, key in enumerate(items):
        where: tuple[str | int, ...] = (*loc, i, field) if field else (*loc, i)
        if key in seen:
            yield Problem(
                where, f"duplicate {what} {key!r} (first at {_dotted((*loc, seen[key]))})"
            )
        else:
            seen[key] = i


def reference_problems(scenario: Scenario) -> list[Problem]:
    """Every broken cross reference in a structurally valid scenario."""
    problems: list[Problem] = []
    party_ids = {p.id for p in scenario.parties}
    participant_ids = {p.id for p in scenario.participants}

    problems += _duplicates([p.id for p in scenario.parties], ("parties",), "party id", "id")
    problems += _duplicates(
        [p.id for p in scenario.participants], ("participants",), "participant id", "id"
    )
    for i, participant in enumerate(scenario.participants):
        if participant.party not in party_ids:
            problems.append(
                Problem(
                    ("participants", i, "party"),
                    f"unknown party {participant.party!r} (parties: {_known(party_ids)})",
                )
            )
    for i, position in enumerate(scenario.positions):
        if position.participant not in participant_ids:
            problems.append(
                Problem(
                    ("positions", i, "participant"),
                    f"unknown participant {position.participant!r} "
                    f"(participants: {_known(participant_ids)})",
                )
            )

    utterance_ids: set[str] = set()
    first_at: dict[str, int] = {}
    for i, item in enumerate(scenario.transcript):
        if not isinstance(item, UtteranceItem):
            continue
        if item.id in first_at:
            problems.append(
                Problem(
                    ("transcript", i, "id"),
                    f"duplicate utterance id {item.id!r} "
                    f"(first at transcript[{first_at[item.id]}])",
                )
            )
        else:
            first_at[item.id] = i
        utterance_ids.add(item.id)
        if item.speaker not in participant_ids:
            problems.append(
                Problem(
                    ("transcript", i, "speaker"),
                    f"unknown speaker {item.speaker!r}: not a participant id "
                    f"(participants: {_known(participant_ids)})",
                )
            )

    def utterance_refs(ids: Iterable[str], loc: tuple[str | int, ...]) -> None:
        for j, uid in enumerate(ids):
            if uid not in utterance_ids:
                problems.append(
                    Problem((*loc, j), f"unknown utterance id {uid!r}: not in the transcript")
                )

    expect = scenario.expect
    if expect.values is not None:
        for pid in expect.values:
            if pid not in participant_ids:
                problems.append(
                    Problem(
                        ("expect", "values", pid),
                        f"unknown participant {pid!r} (participants: {_known(participant_ids)})",
                    )
                )
    if expect.agreements is not None:
        problems += _duplicates(
            [a.id for a in expect.agreements], ("expect", "agreements"), "agreement id", "id"
        )
        for i, agreement in enumerate(expect.agreements):
            loc: tuple[str | int, ...] = ("expect", "agreements", i)
            for j, party in enumerate(agreement.parties):
                if party not in party_ids:
                    problems.append(
                        Problem(
                            (*loc, "parties", j),
                            f"unknown party {party!r} (parties: {_known(party_ids)})",
                        )
                    )
            utterance_refs(agreement.evidence, (*loc, "evidence"))
    for i, pair in enumerate(expect.non_agreements or ()):
        utterance_refs(pair, ("expect", "non_agreements", i))
    utterance_refs(expect.not_agreed or (), ("expect", "not_agreed"))
    utterance_refs(expect.us_them or (), ("expect", "us_them"))
    utterance_refs(expect.solution_talk or (), ("expect", "solution_talk"))
    return problems


# -- errors --------------------------------------------------------------------------------


def _dotted(loc: Sequence[str | int]) -> str:
    """("transcript", 3, "<utterance>", "speaker") -> "transcript[3].speaker"."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith("<"):
            continue  # a union tag, not a key of the file
        else:
            out += f".{part}" if out else part
    return out


class ScenarioError(Exception):
    """A scenario file (or PATH argument) is invalid.

    ``str(error)`` has one line per problem, ``FILE:LINE: FIELD: what is wrong``.
    """

    def __init__(self, path: Path, problems: Sequence[Problem]) -> None:
        self.path = path
        self.problems = tuple(problems)
        super().__init__("\n".join(self._line(p) for p in self.problems))

    @property
    def field(self) -> str | None:
        """The field of the first problem (None for file-level problems such as YAML syntax)."""
        if not self.problems:
            return None
        return self.problems[0].field or None

    def _line(self, problem: Problem) -> str:
        where = f"{self.path}:{problem.line}" if problem.line else str(self.path)
        field = problem.field
        return f"{where}: {field}: {problem.message}" if field else f"{where}: {problem.message}"


# -- loading -------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys, which plain YAML would silently overwrite."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _line_of(root: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """The 1-based line of the deepest node of ``loc`` that exists in the YAML tree."""
    if root is None:
        return None
    node: yaml.Node = root
    for part in loc:
        if isinstance(part, str) and part.startswith("<"):
            continue
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                    # For a key that must not be there, point at the key itself.
                    node = value_node if isinstance(value_node, yaml.CollectionNode) else key_node
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
        else:
            break
    return int(node.start_mark.line) + 1


def _describe(error: Any) -> str:
    """A pydantic error dict as a short sentence for a scenario author."""
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        return "unknown key (the scenario format is fixed; see scenario-format.md)"
    if kind == "missing":
        return "required field is missing"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind in ("tuple_type", "list_type"):
        return f"should be a list, got {value!r}"
    if kind in ("model_type", "dict_type"):
        return f"should be a mapping (key: value), got {value!r}"
    if kind == "string_type" and isinstance(value, bool | int | float):
        return (
            f"should be a string, got {value!r} (YAML reads it as {type(value).__name__}; quote it)"
        )
    if kind == "literal_error":
        return f"{error['msg']}, got {value!r}"
    if kind == "too_short":
        return "must not be empty"
    return str(error["msg"])


def load_scenario(path: Path) -> Scenario:
    """Read and validate one scenario file; raise :class:`ScenarioError` if it is invalid."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(path, [Problem((), f"cannot read file: {exc}")]) from exc

    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = int(mark.line) + 1 if mark is not None else None
        column = f" (column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        detail = f"{problem}, {context}" if context else problem
        raise ScenarioError(
            path, [Problem((), f"invalid YAML{column}: {detail}", line=line)]
        ) from exc
    finally:
        loader.dispose()

    if data is None:
        raise ScenarioError(path, [Problem((), "file is empty")])
    if not isinstance(data, dict):
        raise ScenarioError(
            path, [Problem((), "a scenario must be a mapping of keys (format, id, ...)", line=1)]
        )

    collected: list[Problem] = []
    try:
        scenario = Scenario.model_validate(data, context={"reference_problems": collected})
    except ValidationError as exc:
        problems = [
            Problem(tuple(e["loc"]), _describe(e), _line_of(root, e["loc"])) for e in exc.errors()
        ]
        raise ScenarioError(path, problems) from exc
    if collected:
        raise ScenarioError(
            path, [Problem(p.loc, p.message, _line_of(root, p.loc)) for p in collected]
        )
    return scenario


def find_scenarios(paths: Sequence[Path]) -> list[Path]:
    """The scenario files that PATH arguments name.

    A file is taken as is (whatever its extension); a folder yields its ``*.yaml`` and ``*.yml``
    files (not recursive, hidden files skipped), sorted by name. Order follows the arguments;
    a file named twice is listed once. A missing path or a folder without scenario files is a
    :class:`ScenarioError`, so that a typo cannot produce an empty, "passing" eval.
    """
    found: list[Path] = []
    seen: set[Path] = set()

    def add(file: Path) -> None:
        key = file.resolve()
        if key not in seen:
            seen.add(key)
            found.append(file)

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(
                p
                for p in path.iterdir()
                if p.is_file() and p.suffix in (".yaml", ".yml") and not p.name.startswith(".")
            )
            if not files:
                raise ScenarioError(path, [Problem((), "folder has no *.yaml or *.yml files")])
            for file in files:
                add(file)
        elif path.is_file():
            add(path)
        else:
            raise ScenarioError(path, [Problem((), "no such file or folder")])
    return found


def load_scenarios(paths: Sequence[Path]) -> list[Scenario]:
    """Find and load every scenario that PATH arguments name; scenario ids must be unique."""
    scenarios: list[Scenario] = []
    where: dict[str, Path] = {}
    for file in find_scenarios(paths):
        scenario = load_scenario(file)
        if scenario.id in where:
            raise ScenarioError(
                file,
                [
                    Problem(
                        ("id",),
                        f"duplicate scenario id {scenario.id!r} (also in {where[scenario.id]})",
                    )
                ],
            )
        where[scenario.id] = file
        scenarios.append(scenario)
    return scenarios
