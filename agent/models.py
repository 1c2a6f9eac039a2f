"""Domain models shared by the agent, the API and the evals.

Everything the agent shows a person is one of these models, and every claim in them
about a person carries citations into this meeting's utterances or positions.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Step = Literal["start", "frame", "values", "connection", "synthesis"]
STEPS: tuple[Step, ...] = ("start", "frame", "values", "connection", "synthesis")
TopicKind = Literal["budget", "strategy", "change", "course", "operational"]
Language = Literal["nl", "en"]
Role = Literal["facilitator", "participant", "reviewer"]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


def _check_id(value: str, what: str) -> str:
    if not _ID.match(value):
        raise ValueError(
            f"{what} {value!r} must be 1-64 characters: letters, digits, '_', '.', ':' or '-'"
        )
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# ---- meeting set-up ---------------------------------------------------------------


class Topic(_Strict):
    title: str = Field(min_length=1, max_length=300)
    kind: TopicKind
    goal: str = Field(min_length=1, max_length=2000)


class PartyIn(_Strict):
    id: str
    name: str = Field(min_length=1, max_length=200)

    _v = field_validator("id")(lambda v: _check_id(v, "party id"))


class ParticipantIn(_Strict):
    id: str
    name: str = Field(min_length=1, max_length=200)
    party: str
    role: str = Field("participant", max_length=32)

    _v = field_validator("id")(lambda v: _check_id(v, "participant id"))


class MeetingCreate(_Strict):
    """What a facilitator gives to open a meeting."""

    topic: Topic
    language: Language
    parties: list[PartyIn] = Field(min_length=1, max_length=20)
    participants: list[ParticipantIn] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _consistent(self) -> MeetingCreate:
        party_ids = [p.id for p in self.parties]
        if len(set(party_ids)) != len(party_ids):
            raise ValueError("parties: party ids must be unique")
        pids = [p.id for p in self.participants]
        if len(set(pids)) != len(pids):
            raise ValueError("participants: participant ids must be unique")
        for i, p in enumerate(self.participants):
            if p.party not in party_ids:
                raise ValueError(
                    f"participants[{i}].party: unknown party {p.party!r}; "
                    f"known parties: {', '.join(party_ids)}"
                )
        return self


class MeetingCreated(BaseModel):
    id: str
    facilitator_token: str
    reviewer_token: str
    invites: dict[str, str]


class PartyOut(BaseModel):
    id: str
    name: str


class ParticipantOut(BaseModel):
    id: str
    name: str
    party: str
    role: str


class MeetingOut(BaseModel):
    id: str
    topic: Topic
    language: Language
    step: Step
    positions_locked: bool
    frame: str | None = None
    parties: list[PartyOut]
    participants: list[ParticipantOut]
    utterance_count: int


# ---- transcript -------------------------------------------------------------------


class UtteranceIn(_Strict):
    speaker: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=20_000)
    id: str | None = None

    @field_validator("id")
    @classmethod
    def _id_ok(cls, v: str | None) -> str | None:
        return None if v is None else _check_id(v, "utterance id")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("text must not be blank")
        return v


class FrameIn(_Strict):
    """The opening, ground rules and goal as agreed in the meeting."""

    text: str = Field(min_length=1, max_length=20_000)


class UtteranceOut(BaseModel):
    id: str
    seq: int
    speaker: str
    party: str
    text: str
    step: Step


class PositionOut(BaseModel):
    id: str
    participant: str
    text: str
    filename: str | None = None


# ---- what the agent says ----------------------------------------------------------


class Citation(BaseModel):
    """A pointer into this meeting: an utterance or a position, with a verbatim quote."""

    utterance_id: str | None = None
    position_id: str | None = None
    participant: str
    quote: str

    @model_validator(mode="after")
    def _one_target(self) -> Citation:
        if (self.utterance_id is None) == (self.position_id is None):
            raise ValueError("a citation points to exactly one utterance or one position")
        return self

    @property
    def ref(self) -> str:
        return self.utterance_id or f"position:{self.position_id}"


class Evidence(BaseModel):
    utterance_id: str
    speaker: str
    party: str
    quote: str

    def citation(self) -> Citation:
        """The same evidence as a :class:`Citation`, for outputs that mix sources."""
        return Citation(utterance_id=self.utterance_id, participant=self.speaker, quote=self.quote)


class Agreement(BaseModel):
    id: str
    label: str
    parties: list[str]
    participants: list[str]
    all_parties: bool
    evidence: list[Evidence]
    # Which backend wrote this item ("llm", or "local" when the llm backend fell back to
    # the local engine, which ``fallback`` then marks); None: the meeting's one backend.
    backend: str | None = None
    fallback: bool = False


class DifferenceSide(BaseModel):
    party: str
    participants: list[str]
    evidence: list[Evidence]


class Difference(BaseModel):
    id: str
    label: str
    sides: list[DifferenceSide]
    backend: str | None = None
    fallback: bool = False


class Question(BaseModel):
    id: str
    kind: str
    text: str
    addressee: str
    party: str
    grounded_in: Citation
    value: str | None = None
    backend: str | None = None
    fallback: bool = False


class Signal(BaseModel):
    kind: Literal["us_them", "solution_talk", "speaking_share", "not_heard", "questioning"]
    message: str
    participant: str | None = None
    party: str | None = None
    utterance_id: str | None = None
    span: str | None = None
    # speaking share only: the party's turns and words, and its share of all words (%)
    turns: int | None = None
    words: int | None = None
    share: int | None = None


class MissingParty(BaseModel):
    name: str
    reason: str
    kind: Literal["mentioned", "usual"]
    evidence: list[Citation] = Field(default_factory=list)


class TopicAdvice(BaseModel):
    suitable: bool
    reason: str
    missing_parties: list[MissingParty]


class ValueEvidenceOut(BaseModel):
    value: str
    label: str
    strength: float
    evidence: list[Citation]


class SuggestionItem(BaseModel):
    kind: str
    text: str
    citations: list[Citation] = Field(default_factory=list)


class Suggestions(BaseModel):
    """What the agent advises for the current step."""

    step: Step
    headline: str
    items: list[SuggestionItem] = Field(default_factory=list)
    topic: TopicAdvice | None = None
    questions: list[Question] = Field(default_factory=list)
    agreements: list[Agreement] = Field(default_factory=list)
    differences: list[Difference] = Field(default_factory=list)
    signals: list[Signal] = Field(default_factory=list)


class ConsultAnswer(BaseModel):
    answer: str
    evidence: list[Citation] = Field(default_factory=list)
    backend: str = "local"
    fallback: bool = False
