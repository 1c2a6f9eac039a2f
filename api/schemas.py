"""Request and response bodies that exist only at the HTTP edge."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent.models import (
    Agreement,
    Citation,
    Difference,
    Signal,
    UtteranceIn,
    ValueEvidenceOut,
)


class UtterancesIn(BaseModel):
    """Either one utterance (``speaker``, ``text``, optional ``id``) or ``items``."""

    model_config = ConfigDict(extra="forbid")
    speaker: str | None = None
    text: str | None = None
    id: str | None = None
    items: list[UtteranceIn] | None = Field(None, max_length=5000)

    @model_validator(mode="after")
    def _one_form(self) -> UtterancesIn:
        if self.items is not None:
            if self.speaker is not None or self.text is not None:
                raise ValueError("send either {speaker, text} or {items: [...]}, not both")
            if not self.items:
                raise ValueError("items: at least one utterance is needed")
        else:
            missing = [k for k in ("speaker", "text") if getattr(self, k) is None]
            if missing:
                raise ValueError(
                    f"missing field(s): {', '.join(missing)}; send {{speaker, text}} or {{items}}"
                )
        return self

    def as_items(self) -> list[UtteranceIn]:
        if self.items is not None:
            return self.items
        return [UtteranceIn(speaker=self.speaker or "", text=self.text or "", id=self.id)]


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str


class ConsultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=2000)


class PositionTextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1)


class AgreementsOut(BaseModel):
    agreements: list[Agreement]
    differences: list[Difference]


class SignalsOut(BaseModel):
    signals: list[Signal]


class PartyValue(BaseModel):
    value: str
    label: str
    strength: float
    participants: list[str]
    evidence: list[Citation]


class PartyValues(BaseModel):
    party: str
    name: str
    values: list[PartyValue]


class ValuesOut(BaseModel):
    parties: list[PartyValues]
    participants: dict[str, list[ValueEvidenceOut]]


class Health(BaseModel):
    status: str
    backend: str
    model: str | None
    version: str
