"""The review state machine and the regeneration plan. Pure functions, no store.

States and the allowed moves (anything else is a 409 Conflict)::

    draft     -> accepted | edited | rejected
    accepted  -> edited | draft          (refine the text, or reopen)
    edited    -> edited | draft          (edit again, or reopen)
    rejected  -> draft                   (reopen)

Why these and not every pair: a decision is changed only by reopening it first, so a
change of mind is always an explicit, recorded step, and a rejected item never comes
back with new text or straight into the report without someone reopening it. Editing
an accepted or edited item stays possible, because refining wording is what a review
does, and every edit keeps the earlier text in the history. Moving an item to the state
it already has is refused too: it would record a decision nobody made.

Regeneration never touches what a person did. An item is *reviewed* when its state is
not ``draft`` or when its current text was written by a person (an edit, even if the item
was reopened to draft since). Only the agent's own drafts are updated, and only untouched
ones (no comments, no person's history) are removed when the agent no longer finds them.
For a reviewed item whose content the agent would now write differently, or no longer
finds at all, the plan reports a conflict and leaves the item as it is; a reviewer then
keeps the item or adopts the agent's new version (``resolve`` in the review API).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.errors import Conflict
from agent.synthesis.models import ConflictKind, ItemState, SynthesisDraftItem

TRANSITIONS: dict[ItemState, frozenset[ItemState]] = {
    "draft": frozenset({"accepted", "edited", "rejected"}),
    "accepted": frozenset({"edited", "draft"}),
    "edited": frozenset({"edited", "draft"}),
    "rejected": frozenset({"draft"}),
}


def check_transition(current: ItemState, target: ItemState) -> None:
    """Raise :class:`Conflict` unless ``current -> target`` is an allowed move."""
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current]))
        hint = " (reopen it to draft first)" if current != "draft" else ""
        raise Conflict(
            f"an item in state {current!r} cannot move to {target!r}{hint}; "
            f"allowed from {current!r}: {allowed}"
        )


def is_approved(states: Sequence[str]) -> bool:
    """Approved: there is at least one item and every item is decided."""
    return bool(states) and all(s in ("accepted", "edited", "rejected") for s in states)


def evidence_json(item: SynthesisDraftItem) -> list[dict[str, Any]]:
    """The evidence as stored: plain JSON, only the fields that are set."""
    return [c.model_dump(mode="json", exclude_none=True) for c in item.evidence]


@dataclass(frozen=True)
class Existing:
    """What the plan needs to know about a stored item."""

    id: str
    key: str
    state: ItemState
    text: str
    human_text: bool  # the current text was written by a person
    agent_text: str  # the agent's version the item stands on
    agent_evidence: list[dict[str, Any]]
    touched: bool  # has comments or a person's history entry
    kept_gone: bool = False  # a reviewer chose to keep it after the agent stopped finding it

    @property
    def reviewed(self) -> bool:
        return self.state != "draft" or self.human_text


@dataclass
class PlannedConflict:
    id: str
    kind: ConflictKind
    proposed: SynthesisDraftItem | None


@dataclass
class RegenerationPlan:
    """What to do with each stored and each generated item."""

    add: list[tuple[int, SynthesisDraftItem]] = field(default_factory=list)  # (rank, item)
    update: list[tuple[str, int, SynthesisDraftItem]] = field(default_factory=list)
    rerank: list[tuple[str, int]] = field(default_factory=list)  # unchanged, new rank
    remove: list[str] = field(default_factory=list)
    conflicts: list[PlannedConflict] = field(default_factory=list)
    clear_conflict: list[str] = field(default_factory=list)
    unchanged: int = 0  # stored items the new generation agrees with


def plan_regeneration(
    existing: Sequence[Existing], generated: Sequence[SynthesisDraftItem]
) -> RegenerationPlan:
    """Match generated items to stored ones by key and decide what happens to each."""
    plan = RegenerationPlan()
    by_key = {e.key: e for e in existing}
    seen: set[str] = set()
    for rank, item in enumerate(generated):
        if item.key in seen:
            continue  # a writer that repeats a key gets its first item only
        seen.add(item.key)
        old = by_key.get(item.key)
        if old is None:
            plan.add.append((rank, item))
            continue
        same = old.agent_text == item.text and old.agent_evidence == evidence_json(item)
        if not old.reviewed:
            if same and old.text == item.text:
                plan.rerank.append((old.id, rank))
                plan.unchanged += 1
            else:
                plan.update.append((old.id, rank, item))
            continue
        plan.rerank.append((old.id, rank))
        if same:
            plan.clear_conflict.append(old.id)  # the agent came back to what was reviewed
            plan.unchanged += 1
        else:
            plan.conflicts.append(PlannedConflict(old.id, "changed", item))
    for old in existing:
        if old.key in seen:
            continue
        if old.kept_gone:
            continue  # reported before, and a reviewer chose to keep it
        if old.reviewed or old.touched:
            plan.conflicts.append(PlannedConflict(old.id, "gone", None))
        else:
            plan.remove.append(old.id)
    return plan
