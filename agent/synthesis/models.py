"""The synthesis and its review, as pydantic models.

A synthesis is a list of items, each in one section, each citing its evidence. The
reasoner writes :class:`SynthesisDraftItem` objects; the store keeps them as reviewable
items with a state, comments and a history of every change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent.models import Citation, Language

Section = Literal[
    "frame",
    "values",
    "agreements",
    "differences",
    "open_questions",
    "next_steps",
    "participation",
]
# The order of the report: the frame first, then what matters, where people meet, where
# they differ, what is still open, what happens next, and who took part how.
SECTIONS: tuple[Section, ...] = (
    "frame",
    "values",
    "agreements",
    "differences",
    "open_questions",
    "next_steps",
    "participation",
)

ItemState = Literal["draft", "accepted", "edited", "rejected"]
ITEM_STATES: tuple[ItemState, ...] = ("draft", "accepted", "edited", "rejected")
DECIDED: frozenset[str] = frozenset({"accepted", "edited", "rejected"})

# What an item rests on. ``evidence``: quotes from this meeting, and an item that loses
# all of them in validation is dropped. ``record``: the meeting's own set-up (the goal
# typed in when the meeting was opened). ``draft``: the agent's own proposal, labelled
# as such in the text. ``counts``: figures computed over the whole transcript.
Basis = Literal["evidence", "record", "draft", "counts"]

ConflictKind = Literal["changed", "gone"]


class RecordedFrame(BaseModel):
    """The frame as the facilitator recorded it in the frame step (``PUT .../frame``)."""

    text: str


class SynthesisDraftItem(BaseModel):
    """One item as a reasoner writes it, before validation and review.

    ``key`` identifies the item across regenerations (for example ``agreement:a3``), so a
    new generation can update the same draft item instead of adding a duplicate.
    """

    key: str = Field(min_length=1, max_length=200)
    section: Section
    text: str = Field(min_length=1)
    evidence: list[Citation] = Field(default_factory=list)
    basis: Basis = "evidence"


class CommentOut(BaseModel):
    id: int
    at: datetime
    role: str
    by: str | None = None
    text: str


class HistoryEntry(BaseModel):
    """One change to an item: who (role, optional name), when, what, and the earlier text."""

    at: datetime
    role: str
    by: str | None = None
    action: Literal["state", "edit", "regenerate", "keep", "adopt"]
    from_state: ItemState
    to_state: ItemState
    previous_text: str | None = None
    text: str | None = None


class ConflictOut(BaseModel):
    """A regeneration disagreed with a reviewed item. ``gone``: the agent no longer finds
    it; ``changed``: the agent now writes ``text`` with ``evidence`` instead."""

    kind: ConflictKind
    text: str | None = None
    evidence: list[Citation] = Field(default_factory=list)


class SynthesisItemOut(BaseModel):
    id: str
    section: Section
    text: str
    state: ItemState
    basis: Basis
    evidence: list[Citation]
    comments: list[CommentOut] = Field(default_factory=list)
    history: list[HistoryEntry] = Field(default_factory=list)
    conflict: ConflictOut | None = None


class SynthesisOut(BaseModel):
    """The synthesis of one meeting. ``approved``: every item is decided."""

    meeting_id: str
    language: Language
    generated: bool
    approved: bool
    shared: bool
    generated_at: datetime | None = None
    shared_at: datetime | None = None
    generations: int = 0
    items: list[SynthesisItemOut] = Field(default_factory=list)


class ItemPatch(BaseModel):
    """A review action on one item: a state, a new text, a comment, or a conflict resolution.

    ``text`` is an edit (the item becomes ``edited``); ``state`` may then only be
    ``edited``. ``resolve`` settles a conflict a regeneration reported: ``keep`` the
    reviewed text, or ``adopt`` the agent's new version (the item goes back to draft).
    ``by`` names the person, because one reviewer token is shared by the team.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    state: ItemState | None = None
    text: str | None = Field(None, min_length=1, max_length=5000)
    comment: str | None = Field(None, min_length=1, max_length=5000)
    resolve: Literal["keep", "adopt"] | None = None
    by: str | None = Field(None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _something(self) -> ItemPatch:
        if all(v is None for v in (self.state, self.text, self.comment, self.resolve)):
            raise ValueError("send at least one of: state, text, comment, resolve")
        if self.text is not None and self.state not in (None, "edited"):
            raise ValueError("text: an edit makes the item 'edited'; drop 'state' or send 'edited'")
        if self.state == "edited" and self.text is None:
            raise ValueError("state: 'edited' needs the new text in 'text'")
        if self.resolve is not None and (self.state is not None or self.text is not None):
            raise ValueError("resolve: send it on its own (a comment may come along)")
        return self


class ConflictReport(BaseModel):
    item_id: str
    section: Section
    kind: ConflictKind
    state: ItemState
    text: str
    proposed_text: str | None = None


class RegenerationReport(BaseModel):
    """What one generation did to the stored synthesis."""

    meeting_id: str
    generation: int
    items: int
    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    unchanged: int = 0
    conflicts: list[ConflictReport] = Field(default_factory=list)
    dropped_items: int = 0  # items left without valid evidence, never stored
    dropped_citations: int = 0  # citations that did not check out against the meeting
    approved: bool = False
