"""Incremental agreement tracking across parties.

Each new utterance is compared with a bounded window of recent utterances and with the
points found so far, so one update costs the same at utterance 10 and at utterance
1,500. Links come from explicit agreement cues ("eens", "I agree"), echo cues ("wij
ook", "same here"), named references ("zoals Noor zei") and, cautiously, strong
semantic overlap. Polarity is checked first: a "ja, maar", a negation or sarcasm makes
a *difference* and never joins a point of agreement.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypedDict

import numpy as np

from agent.analysis import polarity
from agent.analysis.features import Features
from agent.analysis.questions import content_stems, named_stems

WINDOW = 40  # utterances looked back for targets
RECENT = 6  # eligible statements looked back for the target of an echo
ECHO_MIN = 0.30  # centred cosine for "wij ook" / "same here" to attach to a statement
POINT_MIN = 0.45  # centred cosine between an utterance and a point's centroid to join it
MERGE_MIN = 2.0  # centroid cosine for a new pair to fold into an existing point (off)
SEMANTIC_MIN = 0.70  # centred cosine for a link without any cue (with shared words)
RESTATEMENT_MIN = 0.60  # centred cosine above which a reply's own polarity is compared
SEMANTIC_STEMS = 2  # content stems a cue-less link must share
REPLY_DECAY = 0.04  # per step back, so an echo prefers what was just said
LEXICAL = 0.15  # weight of shared rare words next to the cosine when choosing a target
FRAME_STEPS = ("start", "frame")  # the facilitator's proposals here can be agreed with


class PointState(TypedDict):
    id: str
    members: list[str]
    parties: list[str]  # party of each member, same order
    links: list[list[str]]  # [a, b, kind]
    # Unit vector as little-endian float32 bytes: one object in the checkpoint instead of
    # 384 floats, which made reading and writing the state grow with the meeting.
    centroid: bytes
    stems: list[str]


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


def centroid_of(point: PointState) -> np.ndarray:
    """A point's centroid as a vector (older checkpoints hold a list of floats)."""
    c: bytes | list[float] = point["centroid"]
    if isinstance(c, bytes):
        return np.frombuffer(c, dtype="<f4")
    return np.asarray(c, dtype=np.float32)


def _pack(vec: np.ndarray) -> bytes:
    norm = float(np.linalg.norm(vec)) or 1.0
    return np.asarray(vec / norm, dtype="<f4").tobytes()


def _copy(state: TrackerState) -> TrackerState:
    return {
        "points": [
            {
                "id": p["id"],
                "members": list(p["members"]),
                "parties": list(p["parties"]),
                "links": [list(x) for x in p["links"]],
                "centroid": p["centroid"],
                "stems": list(p["stems"]),
            }
            for p in state["points"]
        ],
        "differences": [
            {"id": d["id"], "target": d["target"], "members": list(d["members"])}
            for d in state["differences"]
        ],
        "next_point": state["next_point"],
        "next_difference": state["next_difference"],
    }


def _eligible(f: Features, g: Features, proposals: bool = False) -> bool:
    """Could ``f`` agree with ``g`` across parties?

    With ``proposals``, the facilitator's statements in the start and frame steps count:
    agreeing to the proposed frame is agreeing with the board member who proposed it.
    """
    if g.facilitator and not (proposals and g.step in FRAME_STEPS):
        return False
    return g.party != f.party and not g.injection and not g.question_only and g.seq < f.seq


def _df(window: Window) -> dict[str, int]:
    counts: dict[str, int] = {}
    for g, _ in window:
        for s in set(g.stems):
            counts[s] = counts.get(s, 0) + 1
    return counts


def _unnamed(f: Features, language: str) -> set[str]:
    """A turn's content words without the names in it: two turns that both name Tim
    share a person, not a view."""
    return set(f.stems) - {n for s in f.sentences for n in named_stems(s, language)}


def _score(
    words: set[str], vec: np.ndarray, g: Features, w: np.ndarray, df: dict[str, int], language: str
) -> float:
    """Cosine plus shared rare words (``words``: the turn's :func:`_unnamed`); topic words
    the whole meeting uses count little."""
    shared = words & _unnamed(g, language)
    return float(vec @ w) + LEXICAL * sum(1.0 / df.get(s, 1) for s in shared)


def _reply_target(
    f: Features, vec: np.ndarray, window: Window, language: str
) -> tuple[Features, np.ndarray] | None:
    """The statement a reply answers, or None when it answers no other party's statement.

    A named speaker ("zoals Noor zei") wins: their turn in the window that is closest in
    content. Otherwise a reply answers the nearest earlier turn of someone else; when that
    turn is a question, or the facilitator's outside the frame, it agrees with no party.
    """
    named = [
        (g, w) for g, w in window if g.speaker in f.mentions_people and g.seq < f.seq and not g.asks
    ]
    if named:
        df = _df(window)
        words = _unnamed(f, language)
        g, w = max(named, key=lambda gw: _score(words, vec, gw[0], gw[1], df, language))
        return (g, w) if _eligible(f, g, proposals=True) else None
    for g, w in sorted(window, key=lambda gw: -gw[0].seq):
        if g.seq >= f.seq or g.speaker == f.speaker:
            continue
        if g.question_only:
            return None  # "ja" to a question answers it; it agrees with no statement
        return (g, w) if _eligible(f, g, proposals=True) else None
    return None


def _similar_target(
    vec: np.ndarray, cands: list[tuple[Features, np.ndarray]]
) -> tuple[Features, np.ndarray, float] | None:
    """The recent statement an echo ("wij ook") most resembles, preferring the latest."""
    recent = sorted(cands, key=lambda gw: -gw[0].seq)[:RECENT]
    if not recent:
        return None
    best = max(enumerate(recent), key=lambda iw: float(vec @ iw[1][1]) - REPLY_DECAY * iw[0])[1]
    return best[0], best[1], float(vec @ best[1])


def _best_point(
    state: TrackerState, vec: np.ndarray, stems: set[str], minimum: float, exclude_party: str
) -> PointState | None:
    """The point whose centroid this utterance joins, if any is close enough."""
    best: tuple[float, PointState] | None = None
    for p in state["points"]:
        if not stems & set(p["stems"]) or set(p["parties"]) == {exclude_party}:
            continue
        sim = float(vec @ centroid_of(p))
        if sim >= minimum and (best is None or sim > best[0]):
            best = (sim, p)
    return best[1] if best else None


def update(
    state: TrackerState, f: Features, vec: np.ndarray, window: Window, language: str
) -> TrackerState:
    """Fold one new utterance into the tracker. Returns a new state; input is not mutated."""
    new = _copy(state)
    if f.facilitator or f.injection or f.question_only:
        return new
    cands = [(g, w) for g, w in window if _eligible(f, g)]
    statements = [(g, w) for g, w in cands if not g.disagreeing]
    stems = set(f.stems)

    if f.disagreeing:
        topic = polarity.disagreement_topic(" ".join(f.sentences), language)
        if topic is not None:
            # "Over Tiel zijn we het nog niet eens" names what is still open: it answers
            # the latest statement about that subject, not whatever was said last.
            about = content_stems(topic, language)
            on_topic = [(g, w) for g, w in cands if not g.asks and about & set(g.stems)]
            target = max(on_topic, key=lambda gw: gw[0].seq) if on_topic else None
        else:
            target = _reply_target(f, vec, window, language)
            if target is None:
                # It answers no one statement directly: the recent one it most resembles.
                found = _similar_target(vec, cands)
                target = (found[0], found[1]) if found else None
        if target is not None:
            _add_difference(new, target[0].id, f.id)
        return new

    if f.agree_cue:
        target = _reply_target(f, vec, window, language)
        if (
            target is not None
            and not target[0].disagreeing
            and not _flipped(f, vec, *target, language)
        ):
            _link(new, target[0], target[1], f, vec, "explicit")
        return new

    df = _df([*window, (f, vec)])
    if (f.mentions_people and not f.asks and _attributes(f, language)) or f.consensus_cue:
        # "Ik hoor Debby en mij hetzelfde zeggen": the named people's closest statements;
        # a consensus claim without names ("daar zijn we het over eens"): the closest one.
        # Questions are answered, not agreed with; proposals need an explicit "eens".
        targets = [(g, w) for g, w in statements if not g.asks and not g.solution]
        words = _unnamed(f, language)
        related = [
            (g, w)
            for g, w in targets
            if words & _unnamed(g, language) and float(vec @ w) >= ECHO_MIN
        ]
        named = [(g, w) for g, w in targets if g.speaker in f.mentions_people]
        groups = (
            [
                [(g, w) for g, w in named if g.speaker == p]
                for p in dict.fromkeys(g.speaker for g, _ in named)
            ]
            if named
            else [related]
            if f.consensus_cue
            else []
        )
        linked = False
        for group in groups:
            if not group:
                continue
            g, w = max(group, key=lambda gw: _score(words, vec, gw[0], gw[1], df, language))
            # A named person is the speaker's own attribution; a claim without names is
            # matched by content, so that content must not say the opposite.
            if (
                float(vec @ w) >= ECHO_MIN
                and words & _unnamed(g, language)
                and (bool(named) or not _flipped(f, vec, g, w, language))
            ):
                _link(new, g, w, f, vec, "reference")
                # The speaker says these people hold the same view: one point, not two.
                _merge(new, _point_of(new, f.id), _point_of(new, g.id))
                linked = True
        if linked:
            return new

    if f.echo_cue:
        found = _similar_target(vec, statements)
        if found is not None and found[2] >= ECHO_MIN:
            _link(new, found[0], found[1], f, vec, "echo")
        return new

    if f.solution:
        # A proposal only joins a point when someone explicitly agrees with it.
        return new
    text = " ".join(f.sentences)
    for g, w in sorted(statements, key=lambda gw: -float(vec @ gw[1])):
        if float(vec @ w) < SEMANTIC_MIN:
            break
        if g.asks or g.solution or len(stems & set(g.stems)) < SEMANTIC_STEMS:
            continue
        if polarity.same_polarity(text, " ".join(g.sentences), language):
            _link(new, g, w, f, vec, "semantic")
            break
    return new


# A name set off at the end of a sentence addresses that person ("Allebei is nodig,
# Gerda."); it does not say they share the speaker's view.
_VOCATIVE = re.compile(r",\s*[A-ZÀ-Þ][\w'’-]+(?:\s[A-ZÀ-Þ][\w'’-]+)?\s*[.!?…](?:\s|$)")


def _attributes(f: Features, language: str) -> bool:
    """Does a turn that names people attribute a shared view to them ("Ik hoor Debby en
    mij hetzelfde zeggen", "Tom and I both said ...")? Not when it turns against what
    they said ("Ik snap dat, Petra, maar ..."), nor when its one name only addresses the
    person ("Zes mensen die allemaal iemand zijn, Frank.")."""
    text = " ".join(f.sentences)
    if polarity.has_contrast(text, language):
        return False
    return not (len(f.mentions_people) == 1 and _VOCATIVE.search(text))


def _flipped(f: Features, vec: np.ndarray, g: Features, w: np.ndarray, language: str) -> bool:
    """A turn that restates ``g`` with the opposite polarity disagrees, whatever its cue.

    "Yes, it is NOT a bad thing to ..." after "It is a bad thing to ...", or "Eens, de
    huur moet omlaag" after "De huur moet omhoog", carries an agreement cue but says the
    opposite. Only close restatements are compared: a short "eens" has no content whose
    polarity could be compared. The comparison leaves the response cues out and looks at
    negation parity, antonyms and a ranking turned round (:func:`polarity.contradicts`);
    unlike the cue-less link it does not reject loose paraphrases, because the speaker
    said outright that they agree.
    """
    if float(vec @ w) < RESTATEMENT_MIN:
        return False
    return polarity.contradicts(" ".join(f.sentences), " ".join(g.sentences), language)


def _point_of(state: TrackerState, uid: str) -> PointState | None:
    for p in state["points"]:
        if uid in p["members"]:
            return p
    return None


def _join(point: PointState, f: Features, vec: np.ndarray, kind: str, via: str = "") -> None:
    n = len(point["members"])
    point["centroid"] = _pack((centroid_of(point) * n + vec) / (n + 1))
    point["members"].append(f.id)
    point["parties"].append(f.party)
    point["stems"] = sorted(set(point["stems"]) | set(f.stems))
    point["links"].append([via or point["members"][0], f.id, kind])


def _link(
    state: TrackerState,
    g: Features,
    gvec: np.ndarray,
    f: Features,
    fvec: np.ndarray,
    kind: str,
) -> None:
    """Record that ``f`` agrees with ``g``: extend g's point, or start (or fold) a new one."""
    pg = _point_of(state, g.id)
    pf = _point_of(state, f.id)
    if pg is not None:
        if pf is None:
            _join(pg, f, fvec, kind, via=g.id)
        return
    if pf is not None:
        # f already agrees with an earlier point (a second name it mentioned): g joins it.
        _join(pf, g, gvec, kind, via=f.id)
        return
    pair = (gvec + fvec) / 2
    pair = pair / (float(np.linalg.norm(pair)) or 1.0)
    home = _best_point(state, pair, set(g.stems) | set(f.stems), MERGE_MIN, "")
    if home is not None:
        _join(home, g, gvec, kind)
        _join(home, f, fvec, kind, via=g.id)
        return
    state["points"].append(
        {
            "id": f"a{state['next_point']}",
            "members": [g.id, f.id],
            "parties": [g.party, f.party],
            "links": [[g.id, f.id, kind]],
            "centroid": _pack(pair),
            "stems": sorted(set(g.stems) | set(f.stems)),
        }
    )
    state["next_point"] += 1


def _merge(state: TrackerState, keep: PointState | None, other: PointState | None) -> None:
    """Fold ``other`` into ``keep`` (the speaker tied them together by name)."""
    if keep is None or other is None or keep is other:
        return
    first, second = sorted((keep, other), key=lambda p: int(p["id"][1:]))
    for uid, party in zip(second["members"], second["parties"], strict=True):
        if uid not in first["members"]:
            first["members"].append(uid)
            first["parties"].append(party)
    first["links"].extend(second["links"])
    first["stems"] = sorted(set(first["stems"]) | set(second["stems"]))
    n1, n2 = len(first["members"]), len(second["members"])
    first["centroid"] = _pack(centroid_of(first) * n1 + centroid_of(second) * n2)
    state["points"].remove(second)


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
