"""Store operations. Every function takes an open session and a meeting id, so no
query can wander into another meeting."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from agent.errors import Conflict, InvalidInput, NotFound
from agent.models import (
    MeetingCreate,
    MeetingCreated,
    MeetingOut,
    ParticipantOut,
    PartyOut,
    PositionOut,
    Role,
    Step,
    Topic,
    UtteranceIn,
    UtteranceOut,
)
from agent.store import tables as t


def hash_token(token: str) -> str:
    """SHA-256 of a token; only this is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who a token belongs to."""

    meeting_id: str
    role: Role
    participant_id: str | None = None


def _new_token(session: Session, meeting_id: str, role: Role, participant: str | None) -> str:
    token = secrets.token_urlsafe(24)
    session.add(
        t.Token(
            token_hash=hash_token(token),
            meeting_id=meeting_id,
            role=role,
            participant_id=participant,
        )
    )
    return token


def create_meeting(session: Session, setup: MeetingCreate) -> MeetingCreated:
    """Store a new meeting with its parties and participants, and mint its tokens."""
    mid = uuid.uuid4().hex[:16]
    session.add(
        t.Meeting(
            id=mid,
            title=setup.topic.title,
            kind=setup.topic.kind,
            goal=setup.topic.goal,
            language=setup.language,
            step="start",
        )
    )
    session.flush()
    for i, party in enumerate(setup.parties):
        session.add(t.Party(meeting_id=mid, id=party.id, name=party.name, ordinal=i))
    session.flush()
    for i, p in enumerate(setup.participants):
        session.add(
            t.Participant(
                meeting_id=mid, id=p.id, name=p.name, party_id=p.party, role=p.role, ordinal=i
            )
        )
    facilitator = _new_token(session, mid, "facilitator", None)
    reviewer = _new_token(session, mid, "reviewer", None)
    invites = {p.id: _new_token(session, mid, "participant", p.id) for p in setup.participants}
    audit(session, mid, "facilitator", None, "meeting.create", {"parties": len(setup.parties)})
    return MeetingCreated(
        id=mid, facilitator_token=facilitator, reviewer_token=reviewer, invites=invites
    )


def resolve_token(session: Session, token: str) -> Principal | None:
    """The principal behind a token, or None for an unknown token."""
    row = session.get(t.Token, hash_token(token))
    if row is None:
        return None
    return Principal(row.meeting_id, row.role, row.participant_id)  # type: ignore[arg-type]


def get_meeting_row(session: Session, meeting_id: str) -> t.Meeting:
    row = session.get(t.Meeting, meeting_id)
    if row is None:
        raise NotFound(f"meeting {meeting_id!r} not found")
    return row


def list_meeting_ids(session: Session) -> list[str]:
    return list(session.scalars(select(t.Meeting.id).order_by(t.Meeting.created_at)))


def parties(session: Session, meeting_id: str) -> list[t.Party]:
    return list(
        session.scalars(
            select(t.Party).where(t.Party.meeting_id == meeting_id).order_by(t.Party.ordinal)
        )
    )


def participants(session: Session, meeting_id: str) -> list[t.Participant]:
    return list(
        session.scalars(
            select(t.Participant)
            .where(t.Participant.meeting_id == meeting_id)
            .order_by(t.Participant.ordinal)
        )
    )


def meeting_out(session: Session, meeting_id: str) -> MeetingOut:
    m = get_meeting_row(session, meeting_id)
    count = session.scalar(
        select(func.count()).select_from(t.Utterance).where(t.Utterance.meeting_id == meeting_id)
    )
    return MeetingOut(
        id=m.id,
        topic=Topic(title=m.title, kind=m.kind, goal=m.goal),
        language=m.language,
        step=m.step,
        positions_locked=m.positions_locked,
        frame=m.frame,
        parties=[PartyOut(id=p.id, name=p.name) for p in parties(session, meeting_id)],
        participants=[
            ParticipantOut(id=p.id, name=p.name, party=p.party_id, role=p.role)
            for p in participants(session, meeting_id)
        ],
        utterance_count=count or 0,
    )


def set_frame(session: Session, meeting_id: str, text: str) -> None:
    """Record the frame the meeting agreed on."""
    get_meeting_row(session, meeting_id).frame = text


def set_step(session: Session, meeting_id: str, step: Step) -> None:
    get_meeting_row(session, meeting_id).step = step


def add_utterances(
    session: Session, meeting_id: str, items: Sequence[UtteranceIn]
) -> list[UtteranceOut]:
    """Validate a whole batch first, then store it; a bad item stores nothing."""
    meeting = get_meeting_row(session, meeting_id)
    people = {p.id: p for p in participants(session, meeting_id)}
    unknown = sorted({it.speaker for it in items if it.speaker not in people})
    if unknown:
        raise InvalidInput(
            f"unknown speaker(s): {', '.join(unknown)}; known participants: {', '.join(people)}"
        )
    given = [it.id for it in items if it.id is not None]
    dupes = sorted({i for i in given if given.count(i) > 1})
    if dupes:
        raise Conflict(f"utterance id(s) repeated in this batch: {', '.join(dupes)}")
    taken = set(
        session.scalars(
            select(t.Utterance.id).where(
                t.Utterance.meeting_id == meeting_id, t.Utterance.id.in_(given)
            )
        )
    )
    if taken:
        raise Conflict(f"utterance id(s) already used in this meeting: {', '.join(sorted(taken))}")
    out: list[UtteranceOut] = []
    seq = meeting.next_seq
    reserved = set(given)
    for it in items:
        uid = it.id
        if uid is None:
            uid = f"u{seq}"
            k = 1
            while uid in reserved or _utterance_exists(session, meeting_id, uid):
                k += 1
                uid = f"u{seq}-{k}"
            reserved.add(uid)
        speaker = people[it.speaker]
        session.add(
            t.Utterance(
                meeting_id=meeting_id,
                id=uid,
                seq=seq,
                speaker_id=it.speaker,
                text=it.text,
                step=meeting.step,
            )
        )
        out.append(
            UtteranceOut(
                id=uid,
                seq=seq,
                speaker=it.speaker,
                party=speaker.party_id,
                text=it.text,
                step=meeting.step,
            )
        )
        seq += 1
    meeting.next_seq = seq
    session.flush()
    return out


def _utterance_exists(session: Session, meeting_id: str, uid: str) -> bool:
    return (
        session.scalar(
            select(t.Utterance.pk).where(
                t.Utterance.meeting_id == meeting_id, t.Utterance.id == uid
            )
        )
        is not None
    )


def _utterance_out(u: t.Utterance, party_of: dict[str, str]) -> UtteranceOut:
    return UtteranceOut(
        id=u.id,
        seq=u.seq,
        speaker=u.speaker_id,
        party=party_of[u.speaker_id],
        text=u.text,
        step=u.step,
    )


def list_utterances(
    session: Session,
    meeting_id: str,
    after: str | None = None,
    limit: int = 100,
    ids: Sequence[str] | None = None,
) -> list[UtteranceOut]:
    """Utterances in order; ``after`` is an utterance id, ``ids`` restricts to a set."""
    get_meeting_row(session, meeting_id)
    q = select(t.Utterance).where(t.Utterance.meeting_id == meeting_id)
    if after:
        seq = session.scalar(
            select(t.Utterance.seq).where(
                t.Utterance.meeting_id == meeting_id, t.Utterance.id == after
            )
        )
        if seq is None:
            raise NotFound(f"utterance {after!r} not found in this meeting")
        q = q.where(t.Utterance.seq > seq)
    if ids is not None:
        q = q.where(t.Utterance.id.in_(list(ids)))
    q = q.order_by(t.Utterance.seq).limit(limit)
    party_of = {p.id: p.party_id for p in participants(session, meeting_id)}
    return [_utterance_out(u, party_of) for u in session.scalars(q)]


def utterances_by_seq(
    session: Session, meeting_id: str, first_seq: int, last_seq: int
) -> list[UtteranceOut]:
    q = (
        select(t.Utterance)
        .where(
            t.Utterance.meeting_id == meeting_id,
            t.Utterance.seq >= first_seq,
            t.Utterance.seq <= last_seq,
        )
        .order_by(t.Utterance.seq)
    )
    party_of = {p.id: p.party_id for p in participants(session, meeting_id)}
    return [_utterance_out(u, party_of) for u in session.scalars(q)]


_POSITION_ID = re.compile(r"^p(\d+)$")


def _next_position_id(session: Session, meeting_id: str) -> str:
    """A position id never issued before in this meeting.

    Ids come from the highest number ever issued, read from the audit log (which keeps
    the ids of replaced and withdrawn positions), so a stale citation of a withdrawn
    ``p2`` can never come to point at someone else's new text.
    """
    issued = list(session.scalars(select(t.Position.id).where(t.Position.meeting_id == meeting_id)))
    for detail in session.scalars(
        select(t.AuditEvent.detail).where(
            t.AuditEvent.meeting_id == meeting_id, t.AuditEvent.action.like("position.%")
        )
    ):
        issued += [str(v) for k, v in (detail or {}).items() if k in ("id", "replaces")]
    numbers = [int(m.group(1)) for i in issued if (m := _POSITION_ID.match(i))]
    return f"p{max(numbers, default=0) + 1}"


def _position_row(session: Session, meeting_id: str, participant_id: str) -> t.Position | None:
    return session.scalar(
        select(t.Position).where(
            t.Position.meeting_id == meeting_id, t.Position.participant_id == participant_id
        )
    )


def _writable(session: Session, meeting_id: str, participant_id: str) -> None:
    meeting = get_meeting_row(session, meeting_id)
    if meeting.positions_locked:
        raise Conflict("positions are locked for this meeting: the facilitator closed them")
    if session.get(t.Participant, (meeting_id, participant_id)) is None:
        raise InvalidInput(f"unknown participant {participant_id!r}")


def _insert_position(
    session: Session,
    meeting_id: str,
    participant_id: str,
    text: str,
    filename: str | None,
    media_type: str | None,
) -> PositionOut:
    if not text.strip():
        raise InvalidInput("position text is empty")
    pid = _next_position_id(session, meeting_id)
    session.add(
        t.Position(
            meeting_id=meeting_id,
            id=pid,
            participant_id=participant_id,
            text=text,
            filename=filename,
            media_type=media_type,
        )
    )
    session.flush()
    return PositionOut(id=pid, participant=participant_id, text=text, filename=filename)


def add_position(
    session: Session,
    meeting_id: str,
    participant_id: str,
    text: str,
    filename: str | None = None,
    media_type: str | None = None,
) -> PositionOut:
    """Store a participant's first position. One current position per participant:
    a second one is a :func:`replace_position`, so this raises Conflict."""
    _writable(session, meeting_id, participant_id)
    existing = _position_row(session, meeting_id, participant_id)
    if existing is not None:
        raise Conflict(
            f"{participant_id!r} already has position {existing.id}: replace it with PUT"
        )
    pos = _insert_position(session, meeting_id, participant_id, text, filename, media_type)
    audit(
        session,
        meeting_id,
        "participant",
        participant_id,
        "position.add",
        {"id": pos.id, "chars": len(text)},
    )
    return pos


def replace_position(
    session: Session,
    meeting_id: str,
    participant_id: str,
    text: str,
    filename: str | None = None,
    media_type: str | None = None,
) -> tuple[PositionOut, str | None]:
    """Replace the participant's position with a new version under a new id.

    Returns the new position and the id it replaced (None when there was none). The old
    text is not kept: a participant may take back what they wrote. The audit log keeps
    ``replaces`` so a citation of the old id can be told apart from a mistake.
    """
    _writable(session, meeting_id, participant_id)
    old = _position_row(session, meeting_id, participant_id)
    old_id = old.id if old is not None else None
    if old is not None:
        session.delete(old)
        session.flush()
    pos = _insert_position(session, meeting_id, participant_id, text, filename, media_type)
    detail: dict[str, Any] = {"id": pos.id, "chars": len(text)}
    if old_id:
        detail["replaces"] = old_id
    audit(session, meeting_id, "participant", participant_id, "position.replace", detail)
    return pos, old_id


def withdraw_position(session: Session, meeting_id: str, participant_id: str) -> str:
    """Delete the participant's current position; returns its id."""
    _writable(session, meeting_id, participant_id)
    old = _position_row(session, meeting_id, participant_id)
    if old is None:
        raise NotFound(f"{participant_id!r} has no position in this meeting")
    pid = old.id
    session.delete(old)
    session.flush()
    audit(session, meeting_id, "participant", participant_id, "position.withdraw", {"id": pid})
    return pid


def lock_positions(session: Session, meeting_id: str) -> bool:
    """Close positions for changes; returns False when they were already locked."""
    meeting = get_meeting_row(session, meeting_id)
    if meeting.positions_locked:
        return False
    meeting.positions_locked = True
    return True


def get_position(session: Session, meeting_id: str, position_id: str) -> PositionOut | None:
    """The current position with this id, or None."""
    row = session.scalar(
        select(t.Position).where(t.Position.meeting_id == meeting_id, t.Position.id == position_id)
    )
    if row is None:
        return None
    return PositionOut(
        id=row.id, participant=row.participant_id, text=row.text, filename=row.filename
    )


def position_fate(
    session: Session, meeting_id: str, position_id: str
) -> tuple[str, str | None, str | None] | None:
    """What became of a position id that is no longer current, from the audit log.

    ``("replaced", new_id, participant)`` or ``("withdrawn", None, participant)``; None
    when the id was never issued (or is still current).
    """
    events = session.scalars(
        select(t.AuditEvent)
        .where(t.AuditEvent.meeting_id == meeting_id, t.AuditEvent.action.like("position.%"))
        .order_by(t.AuditEvent.id)
    )
    fate: tuple[str, str | None, str | None] | None = None
    for e in events:
        detail = e.detail or {}
        if e.action == "position.replace" and detail.get("replaces") == position_id:
            fate = ("replaced", str(detail.get("id")), e.actor_id)
        elif e.action == "position.withdraw" and detail.get("id") == position_id:
            fate = ("withdrawn", None, e.actor_id)
    return fate


def list_positions(
    session: Session, meeting_id: str, participant_id: str | None = None
) -> list[PositionOut]:
    get_meeting_row(session, meeting_id)
    q = select(t.Position).where(t.Position.meeting_id == meeting_id)
    if participant_id is not None:
        q = q.where(t.Position.participant_id == participant_id)
    return [
        PositionOut(id=p.id, participant=p.participant_id, text=p.text, filename=p.filename)
        for p in session.scalars(q.order_by(t.Position.pk))
    ]


def save_features(
    session: Session,
    meeting_id: str,
    utterance_id: str,
    seq: int,
    vector: np.ndarray,
    features: dict[str, Any],
) -> None:
    session.merge(
        t.UtteranceFeatures(
            meeting_id=meeting_id,
            utterance_id=utterance_id,
            seq=seq,
            vector=np.asarray(vector, dtype=np.float32).tobytes(),
            features=features,
        )
    )


def load_features(
    session: Session, meeting_id: str, utterance_ids: Sequence[str]
) -> dict[str, tuple[np.ndarray, dict[str, Any]]]:
    """Cached vectors and features for the given utterances."""
    if not utterance_ids:
        return {}
    rows = session.scalars(
        select(t.UtteranceFeatures).where(
            t.UtteranceFeatures.meeting_id == meeting_id,
            t.UtteranceFeatures.utterance_id.in_(list(utterance_ids)),
        )
    )
    return {
        r.utterance_id: (np.frombuffer(r.vector, dtype=np.float32), dict(r.features)) for r in rows
    }


def clear_features(session: Session, meeting_id: str) -> None:
    session.execute(delete(t.UtteranceFeatures).where(t.UtteranceFeatures.meeting_id == meeting_id))


def audit(
    session: Session,
    meeting_id: str,
    role: str,
    actor: str | None,
    action: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record an audit event; ``detail`` holds ids and counts, never content."""
    session.add(
        t.AuditEvent(
            meeting_id=meeting_id,
            actor_role=role,
            actor_id=actor,
            action=action,
            detail=detail or {},
        )
    )


def features_between(
    session: Session, meeting_id: str, first_seq: int, last_seq: int
) -> list[tuple[np.ndarray, dict[str, Any]]]:
    """Cached vectors and features of the utterances with ``first_seq <= seq <= last_seq``."""
    rows = session.scalars(
        select(t.UtteranceFeatures)
        .where(
            t.UtteranceFeatures.meeting_id == meeting_id,
            t.UtteranceFeatures.seq >= first_seq,
            t.UtteranceFeatures.seq <= last_seq,
        )
        .order_by(t.UtteranceFeatures.seq)
    )
    return [(np.frombuffer(r.vector, dtype=np.float32), dict(r.features)) for r in rows]


def max_seq(session: Session, meeting_id: str) -> int:
    """Highest utterance seq in the meeting, 0 when there is none."""
    return (
        session.scalar(
            select(func.max(t.Utterance.seq)).where(t.Utterance.meeting_id == meeting_id)
        )
        or 0
    )


def recent_utterance_ids(session: Session, meeting_id: str, n: int) -> list[str]:
    """Ids of the last ``n`` utterances, oldest first."""
    ids = list(
        session.scalars(
            select(t.Utterance.id)
            .where(t.Utterance.meeting_id == meeting_id)
            .order_by(t.Utterance.seq.desc())
            .limit(n)
        )
    )
    return ids[::-1]


# ---- synthesis ----------------------------------------------------------------------------


def synthesis_row(session: Session, meeting_id: str, create: bool = False) -> t.Synthesis | None:
    """The meeting's synthesis record; made on demand when ``create``."""
    get_meeting_row(session, meeting_id)
    row = session.get(t.Synthesis, meeting_id)
    if row is None and create:
        row = t.Synthesis(meeting_id=meeting_id, generations=0)
        session.add(row)
        session.flush()
    return row


def synthesis_items(session: Session, meeting_id: str) -> list[t.SynthesisItem]:
    """Every item of the meeting's synthesis, in no particular order."""
    return list(
        session.scalars(select(t.SynthesisItem).where(t.SynthesisItem.meeting_id == meeting_id))
    )


def synthesis_item(session: Session, meeting_id: str, item_id: str) -> t.SynthesisItem:
    """One item; 404 when this meeting has no item with that id."""
    row = session.scalar(
        select(t.SynthesisItem).where(
            t.SynthesisItem.meeting_id == meeting_id, t.SynthesisItem.id == item_id
        )
    )
    if row is None:
        raise NotFound(f"synthesis item {item_id!r} not found in this meeting")
    return row


def delete_synthesis_item(session: Session, meeting_id: str, item_id: str) -> None:
    """Remove an item with its comments and history."""
    for table in (t.SynthesisComment, t.SynthesisHistory):
        session.execute(
            delete(table).where(table.meeting_id == meeting_id, table.item_id == item_id)
        )
    session.execute(
        delete(t.SynthesisItem).where(
            t.SynthesisItem.meeting_id == meeting_id, t.SynthesisItem.id == item_id
        )
    )


def synthesis_comments(session: Session, meeting_id: str) -> list[t.SynthesisComment]:
    """Comments of every item, oldest first."""
    return list(
        session.scalars(
            select(t.SynthesisComment)
            .where(t.SynthesisComment.meeting_id == meeting_id)
            .order_by(t.SynthesisComment.id)
        )
    )


def synthesis_history(session: Session, meeting_id: str) -> list[t.SynthesisHistory]:
    """History entries of every item, oldest first."""
    return list(
        session.scalars(
            select(t.SynthesisHistory)
            .where(t.SynthesisHistory.meeting_id == meeting_id)
            .order_by(t.SynthesisHistory.id)
        )
    )


def add_synthesis_comment(
    session: Session, meeting_id: str, item_id: str, role: str, by: str | None, text: str
) -> None:
    session.add(
        t.SynthesisComment(meeting_id=meeting_id, item_id=item_id, role=role, by=by, text=text)
    )


def add_synthesis_history(
    session: Session,
    meeting_id: str,
    item_id: str,
    role: str,
    by: str | None,
    action: str,
    from_state: str,
    to_state: str,
    previous_text: str | None = None,
    text: str | None = None,
) -> None:
    session.add(
        t.SynthesisHistory(
            meeting_id=meeting_id,
            item_id=item_id,
            role=role,
            by=by,
            action=action,
            from_state=from_state,
            to_state=to_state,
            previous_text=previous_text,
            text=text,
        )
    )


# ---- llm usage ----------------------------------------------------------------------------

LLM_USAGE_FIELDS = (
    "calls",
    "prompt_tokens",
    "completion_tokens",
    "answered",
    "fallbacks",
    "proposed",
    "accepted",
    "dropped",
)


def llm_usage(session: Session, meeting_id: str) -> dict[str, int]:
    """The llm backend's recorded totals for a meeting (all zero when it never ran)."""
    row = session.get(t.LLMUsage, meeting_id)
    return {f: int(getattr(row, f) or 0) if row else 0 for f in LLM_USAGE_FIELDS}


def add_llm_usage(session: Session, meeting_id: str, delta: dict[str, int]) -> None:
    """Add ``delta`` (field -> count) to a meeting's llm usage."""
    row = session.get(t.LLMUsage, meeting_id)
    if row is None:
        row = t.LLMUsage(meeting_id=meeting_id, **{f: 0 for f in LLM_USAGE_FIELDS})
        session.add(row)
    for f, n in delta.items():
        if f in LLM_USAGE_FIELDS:
            setattr(row, f, int(getattr(row, f) or 0) + int(n))
    row.updated_at = t.utcnow()
