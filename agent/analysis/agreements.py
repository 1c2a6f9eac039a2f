"""Incremental agreement tracking across parties.

Each new utterance is compared only with a bounded window of recent utterances, so the
cost of one update does not grow with the meeting. Links come from explicit agreement
cues ("eens", "I agree"), echo cues ("wij ook", "same here"), and strong semantic
overlap; polarity is checked first, so a "ja, maar", a negation or sarcasm becomes a
difference and never joins a point of agreement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

import numpy as np

from agent.analysis import polarity
from agent.analysis.features import Features

WINDOW = 40  # utterances looked back for semantic candidates
RECENT = 6  # eligible utterances looked back for the target of a reply
SEMANTIC_MIN = 0.60  # centred cosine for a link without any cue
ECHO_MIN = 0.30  # centred cosine for "wij ook" / "same here" to attach to a target
REPLY_DECAY = 0.04  # per step back, so a reply prefers what was just said


class PointState(TypedDict):
    id: str
    members: list[str]
    links: list[list[str]]  # [a, b, kind]


class DifferenceState(TypedDict):
    id: str
    target: str
    members: list[str]


class TrackerState(TypedDict):
    points: list[PointState]
    differences: list[DifferenceState]
    next_point: int
    next_difference: int


def empty_tracker() -> TrackerState:
    return {"points": [], "differences": [], "next_point": 1, "next_difference": 1}


Window = Sequence[tuple[Features, np.ndarray]]


def _eligible(f: Features, g: Features) -> bool:
    return (
        g.party != f.party
        and not g.facilitator
        and not g.injection
        and not g.question_only
        and g.seq < f.seq
    )


def _reply_target(
    f: Features, vec: np.ndarray, window: Window
) -> tuple[Features, float] | None:
    """The utterance a short reply answers, or None when it answers no party's statement.

    A named speaker wins ("zoals Noor zei"). Otherwise a reply answers the nearest earlier
    turn of someone else that is not a question; when that turn is the facilitator's, the
    reply agrees with the facilitator, not with another party, and there is no target.
    """
    named = [(g, w) for g, w in window if g.speaker in f.mentions_people and g.seq < f.seq]
    if named:
        g, w = max(named, key=lambda gw: gw[0].seq)
        return (g, float(vec @ w)) if _eligible(f, g) else None
    for g, w in sorted(window, key=lambda gw: -gw[0].seq):
        if g.seq >= f.seq or g.speaker == f.speaker or g.question_only:
            continue
        return (g, float(vec @ w)) if _eligible(f, g) else None
    return None


def _similar_target(
    f: Features, vec: np.ndarray, cands: list[tuple[Features, np.ndarray]]
) -> tuple[Features, float] | None:
    """The recent statement of another party that an echo ("wij ook") most resembles."""
    recent = sorted(cands, key=lambda gw: -gw[0].seq)[:RECENT]
    if not recent:
        return None
    scored = [
        (float(vec @ w) - REPLY_DECAY * i, g, float(vec @ w)) for i, (g, w) in enumerate(recent)
    ]
    _, g, sim = max(scored, key=lambda x: x[0])
    return g, sim


def update(
    state: TrackerState, f: Features, vec: np.ndarray, window: Window, language: str
) -> TrackerState:
    """Fold one new utterance into the tracker. Returns a new state; input is not mutated."""
    new: TrackerState = {
        "points": [
            {"id": p["id"], "members": list(p["members"]), "links": [list(x) for x in p["links"]]}
            for p in state["points"]
        ],
        "differences": [
            {"id": d["id"], "target": d["target"], "members": list(d["members"])}
            for d in state["differences"]
        ],
        "next_point": state["next_point"],
        "next_difference": state["next_difference"],
    }
    if f.facilitator or f.injection or f.question_only:
        return new
    cands = [(g, w) for g, w in window if _eligible(f, g)]
    statements = [(g, w) for g, w in cands if not g.disagreeing]

    if f.disagreeing:
        target = _reply_target(f, vec, window)
        if target is None and f.stance == "disagree":
            target = _similar_target(f, vec, cands)
        if target is not None:
            _add_difference(new, target[0].id, f.id)
        return new

    if f.agree_cue:
        target = _reply_target(f, vec, window)
        if target is not None and not target[0].disagreeing:
            _link(new, target[0].id, f.id, "explicit")
        return new

    if f.echo_cue:
        target = _similar_target(f, vec, statements)
        if target is not None and target[1] >= ECHO_MIN:
            _link(new, target[0].id, f.id, "echo")
            return new

    if f.solution:
        # A proposal only joins a point when someone explicitly agrees with it.
        return new
    text = " ".join(f.sentences)
    ranked = sorted(statements, key=lambda gw: -float(vec @ gw[1]))
    linked = 0
    for g, w in ranked:
        sim = float(vec @ w)
        if sim < SEMANTIC_MIN or linked >= 2:
            break
        if g.solution or not set(f.stems) & set(g.stems):
            continue
        if not polarity.same_polarity(text, " ".join(g.sentences), language):
            continue
        _link(new, g.id, f.id, "semantic")
        linked += 1
    return new


def _point_of(state: TrackerState, uid: str) -> PointState | None:
    for p in state["points"]:
        if uid in p["members"]:
            return p
    return None


def _link(state: TrackerState, a: str, b: str, kind: str) -> None:
    pa, pb = _point_of(state, a), _point_of(state, b)
    if pa is None and pb is None:
        state["points"].append(
            {"id": f"a{state['next_point']}", "members": [a, b], "links": [[a, b, kind]]}
        )
        state["next_point"] += 1
    elif pa is not None and pb is None:
        pa["members"].append(b)
        pa["links"].append([a, b, kind])
    elif pb is not None and pa is None:
        pb["members"].append(a)
        pb["links"].append([a, b, kind])
    # Both already in (different) points: leave them apart rather than chain two
    # conversations into one blob through a single utterance.


def _add_difference(state: TrackerState, target: str, uid: str) -> None:
    for d in state["differences"]:
        if d["target"] == target:
            if uid not in d["members"]:
                d["members"].append(uid)
            return
    state["differences"].append(
        {"id": f"d{state['next_difference']}", "target": target, "members": [target, uid]}
    )
    state["next_difference"] += 1
