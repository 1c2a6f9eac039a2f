"""The ``Reasoner`` interface: every judgement the agent makes goes through one.

Two implementations return the same models: ``local`` (embedded, deterministic) and,
later, ``llm`` (any OpenAI-compatible endpoint, validated against the meeting).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from agent.models import (
    Agreement,
    ConsultAnswer,
    Difference,
    PositionOut,
    Question,
    Signal,
    Step,
    SuggestionItem,
    TopicAdvice,
    UtteranceOut,
    ValueEvidenceOut,
)
from agent.roster import Roster

if TYPE_CHECKING:
    from agent.analysis.agreements import TrackerState
    from agent.graph.state import PositionLink, SignalsState, ValueTally
    from agent.synthesis.models import SynthesisDraftItem


@dataclass(frozen=True)
class MeetingView:
    """A read-only snapshot of one meeting for a reasoner: set-up, derived state, texts.

    ``utterances`` holds only what the derived state refers to plus the recent tail, so
    building a view stays cheap in a long meeting.
    """

    roster: Roster
    step: Step
    tracker: TrackerState
    signals: SignalsState
    values: Mapping[str, Mapping[str, ValueTally]]
    positions: list[PositionOut]
    utterances: Mapping[str, UtteranceOut]
    recent: list[str]  # ids of the most recent utterances, oldest first
    asked: frozenset[str] = frozenset()
    # what was said, tied to another party's position passage (newest last)
    links: tuple[PositionLink, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def language(self) -> str:
        return self.roster.language


class Reasoner(Protocol):
    """Judgement calls of the agent. Every output cites this meeting only."""

    name: str

    async def advise_topic(self, view: MeetingView) -> TopicAdvice:
        """Does the topic suit one table, and which parties seem to be missing?"""
        ...

    async def draft_frame(self, view: MeetingView) -> list[SuggestionItem]:
        """An opening for the facilitator: why one table, ground rules, the goal."""
        ...

    async def describe_agreements(
        self, view: MeetingView
    ) -> tuple[list[Agreement], list[Difference]]:
        """Points of agreement (polarity-checked) and the differences, with quotes."""
        ...

    async def value_map(self, view: MeetingView) -> dict[str, list[ValueEvidenceOut]]:
        """Top values per participant, with the sentences behind them."""
        ...

    async def propose_questions(self, view: MeetingView) -> list[Question]:
        """Values-probing (or bridging) questions for the current step, best first."""
        ...

    async def signals(self, view: MeetingView) -> list[Signal]:
        """Culture signals for the facilitator: us/them, speaking share, not heard."""
        ...

    async def answer(self, view: MeetingView, question: str) -> ConsultAnswer:
        """A short answer to the facilitator's free question, with its evidence."""
        ...

    async def write_synthesis(self, view: MeetingView) -> list[SynthesisDraftItem]:
        """The meeting's synthesis, section by section, each item citing its evidence.

        ``view`` holds the whole transcript. The caller validates every citation against
        the meeting before anything is stored (:func:`agent.synthesis.grounding.ground`).
        """
        ...
