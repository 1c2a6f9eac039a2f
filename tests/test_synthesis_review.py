"""The review state machine, the regeneration plan and the review request body: pure, no store."""

from __future__ import annotations

import itertools

import pytest
from pydantic import ValidationError

from agent.errors import Conflict
from agent.models import Citation
from agent.synthesis.models import ITEM_STATES, ItemPatch, ItemState, SynthesisDraftItem
from agent.synthesis.review import (
    TRANSITIONS,
    Existing,
    check_transition,
    evidence_json,
    is_approved,
    plan_regeneration,
)

# The documented table, written out independently of the code under test.
ALLOWED: set[tuple[str, str]] = {
    ("draft", "accepted"),
    ("draft", "edited"),
    ("draft", "rejected"),
    ("accepted", "edited"),
    ("accepted", "draft"),
    ("edited", "edited"),
    ("edited", "draft"),
    ("rejected", "draft"),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(ITEM_STATES, ITEM_STATES)))
def test_every_transition_is_allowed_or_a_conflict(current: ItemState, target: ItemState) -> None:
    if (current, target) in ALLOWED:
        check_transition(current, target)
    else:
        with pytest.raises(Conflict) as err:
            check_transition(current, target)
        assert current in str(err.value) and target in str(err.value)
    assert (target in TRANSITIONS[current]) == ((current, target) in ALLOWED)


def test_a_decided_item_is_changed_only_by_reopening_it() -> None:
    decided: ItemState
    for decided in ("accepted", "edited", "rejected"):
        assert "draft" in TRANSITIONS[decided]
    with pytest.raises(Conflict, match="reopen"):
        check_transition("rejected", "accepted")
    with pytest.raises(Conflict, match="reopen"):
        check_transition("accepted", "rejected")


def test_approved_once_every_item_is_decided() -> None:
    assert not is_approved([])
    assert not is_approved(["accepted", "draft"])
    assert is_approved(["accepted", "edited", "rejected"])
    assert is_approved(["rejected"])


# ---- the regeneration plan -----------------------------------------------------------------


def _draft(key: str, text: str, quote: str = "Werkdruk telt.") -> SynthesisDraftItem:
    return SynthesisDraftItem(
        key=key,
        section="agreements",
        text=text,
        evidence=[Citation(utterance_id="u1", participant="anna", quote=quote)],
    )


def _stored(
    item: SynthesisDraftItem,
    state: ItemState = "draft",
    text: str | None = None,
    human: bool = False,
    touched: bool = False,
    kept_gone: bool = False,
) -> Existing:
    return Existing(
        id=f"id-{item.key}",
        key=item.key,
        state=state,
        text=text or item.text,
        human_text=human,
        agent_text=item.text,
        agent_evidence=evidence_json(item),
        touched=touched,
        kept_gone=kept_gone,
    )


def test_new_findings_are_added_and_untouched_drafts_updated() -> None:
    old = _draft("a", "old text")
    plan = plan_regeneration([_stored(old)], [_draft("a", "new text"), _draft("b", "b")])
    assert [i.key for _, i in plan.add] == ["b"]
    assert [(iid, i.text) for iid, _, i in plan.update] == [("id-a", "new text")]
    assert plan.conflicts == []


def test_same_finding_is_unchanged() -> None:
    item = _draft("a", "same")
    plan = plan_regeneration([_stored(item)], [item])
    assert plan.update == [] and plan.add == [] and plan.unchanged == 1


def test_new_evidence_alone_updates_a_draft() -> None:
    old = _draft("a", "same", quote="Werkdruk telt.")
    plan = plan_regeneration([_stored(old)], [_draft("a", "same", quote="Werkdruk")])
    assert [iid for iid, _, _ in plan.update] == ["id-a"]


@pytest.mark.parametrize("state", ["accepted", "edited", "rejected"])
def test_a_reviewed_item_is_never_updated_a_change_is_a_conflict(state: ItemState) -> None:
    old = _draft("a", "reviewed text")
    plan = plan_regeneration([_stored(old, state=state)], [_draft("a", "the agent's new text")])
    assert plan.update == [] and plan.remove == []
    assert [(c.id, c.kind) for c in plan.conflicts] == [("id-a", "changed")]
    assert plan.conflicts[0].proposed is not None
    assert plan.conflicts[0].proposed.text == "the agent's new text"


def test_a_reopened_draft_with_a_persons_text_is_not_overwritten() -> None:
    old = _draft("a", "agent text")
    stored = _stored(old, state="draft", text="a reviewer's words", human=True)
    plan = plan_regeneration([stored], [_draft("a", "newer agent text")])
    assert plan.update == []
    assert [c.kind for c in plan.conflicts] == ["changed"]


def test_a_reviewed_item_the_agent_agrees_with_has_its_conflict_cleared() -> None:
    old = _draft("a", "text")
    plan = plan_regeneration([_stored(old, state="accepted")], [old])
    assert plan.conflicts == [] and plan.clear_conflict == ["id-a"]


def test_gone_items_untouched_drafts_go_reviewed_ones_are_reported() -> None:
    stored = [
        _stored(_draft("plain", "x")),
        _stored(_draft("commented", "x"), touched=True),
        _stored(_draft("accepted", "x"), state="accepted"),
        _stored(_draft("kept", "x"), state="accepted", kept_gone=True),
    ]
    plan = plan_regeneration(stored, [])
    assert plan.remove == ["id-plain"]
    assert sorted((c.id, c.kind) for c in plan.conflicts) == [
        ("id-accepted", "gone"),
        ("id-commented", "gone"),
    ]


def test_a_repeated_key_counts_once() -> None:
    plan = plan_regeneration([], [_draft("a", "first"), _draft("a", "second")])
    assert [i.text for _, i in plan.add] == ["first"]


# ---- the review request body -----------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"by": "Els"},
        {"state": "accepted", "text": "new"},
        {"state": "edited"},
        {"resolve": "keep", "state": "accepted"},
        {"state": "approved"},
        {"text": ""},
        {"comment": "x", "extra": 1},
    ],
)
def test_bad_review_bodies_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ItemPatch.model_validate(body)


@pytest.mark.parametrize(
    "body",
    [
        {"state": "accepted"},
        {"text": "Nieuwe tekst."},
        {"state": "edited", "text": "Nieuwe tekst."},
        {"comment": "Klopt dit?", "by": "Els"},
        {"resolve": "adopt", "comment": "De nieuwe versie is beter."},
    ],
)
def test_good_review_bodies_pass(body: dict[str, object]) -> None:
    ItemPatch.model_validate(body)
