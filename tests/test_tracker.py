"""The agreement tracker on hand-made features: what a shared word is."""

from __future__ import annotations

import dataclasses

import numpy as np

from agent.analysis import agreements
from agent.analysis.features import Features
from agent.analysis.questions import content_stems

BASE = Features(
    id="", seq=0, speaker="", party="", step="connection", facilitator=False, sentences=[],
    question_only=False, asks=False, stance="neutral", agree_cue=False, consensus_cue=False,
    echo_cue=False, contrast=False, sarcasm=False, negations=0, injection=False, solution=None,
    us_them=[], mentions_people=[], mentions_parties=[], stems=[],
)  # fmt: skip


def _turn(seq: int, speaker: str, party: str, text: str, **kw: object) -> Features:
    sentences = [s.strip() + "." for s in text.split(".") if s.strip()]
    return dataclasses.replace(
        BASE,
        id=f"u{seq}",
        seq=seq,
        speaker=speaker,
        party=party,
        sentences=sentences,
        stems=sorted(content_stems(text, "en")),
        **kw,
    )


def test_naming_the_same_person_is_no_shared_view() -> None:
    # Every vector the same: only the words can keep these turns apart.
    vec = np.ones(384, dtype=np.float32) / np.sqrt(384)
    said_before = _turn(
        1, "noor", "sr", "I agree with Anna. The PhD candidates belong at this table."
    )
    other_topic = _turn(2, "noor", "sr", "Completely agree, small tutorials get students noticed.")
    claim = _turn(
        3, "pim", "or", "I hear Anna, Noor and myself saying that small-group teaching matters.",
        mentions_people=["anna", "noor"],
    )  # fmt: skip
    window = [(said_before, vec), (other_topic, vec)]
    state = agreements.update(agreements.empty_tracker(), claim, vec, window, "en")
    # "anna" is the only word the claim shares with the first turn: that is a name.
    assert state["points"] == []


def test_a_named_person_who_shares_content_is_still_linked() -> None:
    vec = np.ones(384, dtype=np.float32) / np.sqrt(384)
    said = _turn(1, "noor", "sr", "Small-group teaching is where students get noticed.")
    claim = _turn(
        2, "pim", "or", "I hear Noor and myself saying that small-group teaching matters.",
        mentions_people=["noor"],
    )  # fmt: skip
    state = agreements.update(agreements.empty_tracker(), claim, vec, [(said, vec)], "en")
    assert [p["members"] for p in state["points"]] == [["u1", "u2"]]
