"""The synthesis against the store: generate (write, validate, merge), read, review, share,
export. Every function works on one meeting; the caller holds the meeting's lock.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from agent.errors import Conflict, Forbidden, InvalidInput
from agent.models import Citation, UtteranceOut
from agent.reasoner.base import MeetingView, Reasoner
from agent.roster import Roster
from agent.store import repo
from agent.store import tables as t
from agent.store.db import Database
from agent.synthesis import export as exporting
from agent.synthesis.grounding import Sources, ground
from agent.synthesis.models import (
    SECTIONS,
    CommentOut,
    ConflictOut,
    ConflictReport,
    HistoryEntry,
    ItemPatch,
    RecordedFrame,
    RegenerationReport,
    SynthesisDraftItem,
    SynthesisItemOut,
    SynthesisOut,
)
from agent.synthesis.review import (
    Existing,
    check_transition,
    evidence_json,
    is_approved,
    plan_regeneration,
)

AGENT = "agent"  # the role recorded for changes the agent makes itself
# A reviewer kept an item the agent no longer finds; stored so the next regeneration
# does not report the same "gone" conflict again. Never shown as a conflict.
GONE_KEPT = "gone_kept"

Audience = Literal["team", "participant"]
ExportFormat = Literal["md", "docx"]


def item_id_for(key: str) -> str:
    """A short, stable id for an item key: the same finding keeps its id across generations."""
    return "s" + hashlib.sha256(key.encode()).hexdigest()[:10]


def with_frame(view: MeetingView, frame: RecordedFrame | None) -> MeetingView:
    """``view`` carrying the recorded frame (if any) for the writer's frame section.

    The frame travels in ``view.extra`` so that the ``Reasoner`` interface stays one
    method with one argument for every backend.
    """
    return dataclasses.replace(view, extra={**view.extra, "frame": frame})


def _sources(
    session: Session,
    meeting_id: str,
    items: Sequence[SynthesisDraftItem],
    loaded: Mapping[str, UtteranceOut],
) -> Sources:
    """The texts every citation of ``items`` may point to: this meeting's utterances (those
    the view already loaded from the store, the rest fetched) and its positions."""
    cited = {c.utterance_id for i in items for c in i.evidence if c.utterance_id}
    out: dict[str, tuple[str, str]] = {
        uid: (loaded[uid].speaker, loaded[uid].text) for uid in cited if uid in loaded
    }
    missing = sorted(cited - set(out))
    if missing:
        for u in repo.list_utterances(session, meeting_id, ids=missing, limit=len(missing) + 1):
            out[u.id] = (u.speaker, u.text)
    for p in repo.list_positions(session, meeting_id):
        out[f"position:{p.id}"] = (p.participant, p.text)
    return out


def _shared_conflict() -> Conflict:
    return Conflict(
        "the synthesis is shared with the participants and frozen; "
        "stop sharing it (DELETE .../synthesis/share) to change it"
    )


async def generate(
    db: Database,
    reasoner: Reasoner,
    view: MeetingView,
    *,
    role: str = "facilitator",
    by: str | None = None,
    when_shared: Literal["raise", "skip"] = "raise",
) -> RegenerationReport | None:
    """Write the synthesis, validate it against the meeting and merge it into the store.

    New findings become draft items, untouched drafts are updated or removed, and reviewed
    items are never changed: a difference is reported as a conflict instead. ``view`` must
    hold the whole transcript. Returns None when the synthesis is shared and
    ``when_shared`` is ``"skip"``.
    """
    mid = view.roster.meeting_id
    with db.session() as s:
        row = repo.synthesis_row(s, mid)
        if row is not None and row.shared_at is not None:
            if when_shared == "skip":
                return None
            raise _shared_conflict()
        recorded = repo.meeting_out(s, mid).frame
    view = with_frame(view, RecordedFrame(text=recorded) if recorded else None)
    drafts = await reasoner.write_synthesis(view)
    with db.session() as s:
        grounded = ground(drafts, _sources(s, mid, drafts, view.utterances))
        synth = repo.synthesis_row(s, mid, create=True)
        assert synth is not None
        rows = {r.id: r for r in repo.synthesis_items(s, mid)}
        touched = {c.item_id for c in repo.synthesis_comments(s, mid)}
        touched |= {h.item_id for h in repo.synthesis_history(s, mid) if h.role != AGENT}
        existing = [
            Existing(
                id=r.id,
                key=r.key,
                state=r.state,  # type: ignore[arg-type]
                text=r.text,
                human_text=r.human_text,
                agent_text=r.agent_text,
                agent_evidence=list(r.agent_evidence),
                touched=r.id in touched,
                kept_gone=r.conflict == GONE_KEPT,
            )
            for r in rows.values()
        ]
        plan = plan_regeneration(existing, grounded.items)
        now = t.utcnow()
        report = RegenerationReport(
            meeting_id=mid, generation=synth.generations + 1, items=len(grounded.items)
        )
        for rank, item in plan.add:
            ev = evidence_json(item)
            iid = item_id_for(item.key)
            s.add(
                t.SynthesisItem(
                    meeting_id=mid,
                    id=iid,
                    key=item.key,
                    section=item.section,
                    rank=rank,
                    state="draft",
                    basis=item.basis,
                    text=item.text,
                    evidence=ev,
                    agent_text=item.text,
                    agent_evidence=ev,
                    human_text=False,
                    created_at=now,
                    updated_at=now,
                )
            )
            report.added.append(iid)
        for iid, rank, item in plan.update:
            r = rows[iid]
            if r.text != item.text:
                repo.add_synthesis_history(
                    s, mid, iid, AGENT, None, "regenerate", r.state, r.state, r.text, item.text
                )
            ev = evidence_json(item)
            r.text, r.evidence, r.agent_text, r.agent_evidence = item.text, ev, item.text, ev
            r.rank, r.section, r.basis, r.updated_at = rank, item.section, item.basis, now
            r.conflict = r.proposed_text = r.proposed_evidence = None
            report.updated.append(iid)
        for iid, rank in plan.rerank:
            rows[iid].rank = rank
        report.unchanged = plan.unchanged
        for iid in plan.remove:
            repo.delete_synthesis_item(s, mid, iid)
            report.removed.append(iid)
        for iid in plan.clear_conflict:
            r = rows[iid]
            r.conflict = r.proposed_text = r.proposed_evidence = None
        for c in plan.conflicts:
            r = rows[c.id]
            r.conflict = c.kind
            r.proposed_text = c.proposed.text if c.proposed else None
            r.proposed_evidence = evidence_json(c.proposed) if c.proposed else None
            report.conflicts.append(
                ConflictReport(
                    item_id=r.id,
                    section=r.section,
                    kind=c.kind,
                    state=r.state,
                    text=r.text,
                    proposed_text=r.proposed_text,
                )
            )
        synth.generations += 1
        synth.generated_at = now
        report.dropped_items = grounded.dropped_items
        report.dropped_citations = grounded.dropped_citations
        s.flush()
        report.approved = is_approved([r.state for r in repo.synthesis_items(s, mid)])
        repo.audit(
            s,
            mid,
            role,
            by,
            "synthesis.generate",
            {
                "generation": report.generation,
                "added": len(report.added),
                "updated": len(report.updated),
                "removed": len(report.removed),
                "conflicts": len(report.conflicts),
            },
        )
    return report


# ---- reading ------------------------------------------------------------------------------


def _item_out(
    r: t.SynthesisItem,
    comments: Sequence[t.SynthesisComment],
    history: Sequence[t.SynthesisHistory],
    team: bool,
) -> SynthesisItemOut:
    conflict = None
    if team and r.conflict in ("changed", "gone"):
        conflict = ConflictOut(
            kind=r.conflict,
            text=r.proposed_text,
            evidence=[Citation.model_validate(c) for c in r.proposed_evidence or []],
        )
    return SynthesisItemOut(
        id=r.id,
        section=r.section,
        text=r.text,
        state=r.state,
        basis=r.basis,
        evidence=[Citation.model_validate(c) for c in r.evidence],
        comments=[CommentOut(id=c.id, at=c.at, role=c.role, by=c.by, text=c.text) for c in comments]
        if team
        else [],
        history=[
            HistoryEntry(
                at=h.at,
                role=h.role,
                by=h.by,
                action=h.action,
                from_state=h.from_state,
                to_state=h.to_state,
                previous_text=h.previous_text,
                text=h.text,
            )
            for h in history
        ]
        if team
        else [],
        conflict=conflict,
    )


def _ordered(rows: Sequence[t.SynthesisItem]) -> list[t.SynthesisItem]:
    return sorted(rows, key=lambda r: (SECTIONS.index(r.section), r.rank, r.pk))


def read(session: Session, meeting_id: str, audience: Audience = "team") -> SynthesisOut:
    """The synthesis as the audience may see it.

    The team (facilitator and reviewers) sees every item with comments, history and
    conflicts. A participant sees it only once it is approved and shared, and then only
    the accepted and edited items, without the team's comments and history.
    """
    meeting = repo.get_meeting_row(session, meeting_id)
    synth = repo.synthesis_row(session, meeting_id)
    rows = _ordered(repo.synthesis_items(session, meeting_id))
    approved = is_approved([r.state for r in rows])
    shared = synth is not None and synth.shared_at is not None
    team = audience == "team"
    if not team:
        if not (approved and shared):
            raise Forbidden(
                "participants see the synthesis once the team has approved and shared it"
            )
        rows = [r for r in rows if r.state in ("accepted", "edited")]
    comments: dict[str, list[t.SynthesisComment]] = {}
    history: dict[str, list[t.SynthesisHistory]] = {}
    if team:
        for c in repo.synthesis_comments(session, meeting_id):
            comments.setdefault(c.item_id, []).append(c)
        for h in repo.synthesis_history(session, meeting_id):
            history.setdefault(h.item_id, []).append(h)
    return SynthesisOut(
        meeting_id=meeting_id,
        language=meeting.language,
        generated=synth is not None and synth.generations > 0,
        approved=approved,
        shared=shared,
        generated_at=synth.generated_at if synth else None,
        shared_at=synth.shared_at if synth else None,
        generations=synth.generations if synth else 0,
        items=[_item_out(r, comments.get(r.id, []), history.get(r.id, []), team) for r in rows],
    )


# ---- review -------------------------------------------------------------------------------


def review(
    session: Session, meeting_id: str, item_id: str, patch: ItemPatch, role: str
) -> SynthesisItemOut:
    """Apply one review action (see :mod:`agent.synthesis.review` for the allowed moves)."""
    synth = repo.synthesis_row(session, meeting_id)
    item = repo.synthesis_item(session, meeting_id, item_id)
    changes = patch.state is not None or patch.text is not None or patch.resolve is not None
    if changes and synth is not None and synth.shared_at is not None:
        raise _shared_conflict()
    by = patch.by
    before = item.state
    action = "comment"
    if patch.resolve is not None:
        if item.conflict not in ("changed", "gone"):
            raise Conflict(f"item {item_id!r} has no conflict to resolve")
        if patch.resolve == "adopt":
            if item.conflict == "gone" or item.proposed_text is None:
                raise Conflict(
                    "the agent no longer finds this item, so there is nothing to adopt; "
                    "keep it, or reopen and reject it"
                )
            proposed = list(item.proposed_evidence or [])
            repo.add_synthesis_history(
                session, meeting_id, item_id, role, by, "adopt", before, "draft",
                item.text, item.proposed_text,
            )  # fmt: skip
            item.text = item.agent_text = item.proposed_text
            item.evidence = item.agent_evidence = proposed
            item.human_text = False
            item.state = "draft"  # new content from the agent is unreviewed again
            item.conflict = item.proposed_text = item.proposed_evidence = None
        else:
            repo.add_synthesis_history(
                session, meeting_id, item_id, role, by, "keep", before, before
            )
            if item.conflict == "changed" and item.proposed_text is not None:
                # The reviewed text stands; the agent's new version becomes the baseline
                # so the same difference is not reported again.
                item.agent_text = item.proposed_text
                item.agent_evidence = list(item.proposed_evidence or [])
                item.conflict = None
            else:
                item.conflict = GONE_KEPT
            item.proposed_text = item.proposed_evidence = None
        action = f"resolve.{patch.resolve}"
    elif patch.text is not None:
        check_transition(before, "edited")  # type: ignore[arg-type]
        if " ".join(patch.text.split()) == " ".join(item.text.split()):
            raise InvalidInput("text: the new text is the same as the current text")
        repo.add_synthesis_history(
            session, meeting_id, item_id, role, by, "edit", before, "edited", item.text, patch.text
        )
        # The citations stay: an edit rewords the finding, the evidence behind it is the same.
        item.text = patch.text
        item.human_text = True
        item.state = "edited"
        action = "edit"
    elif patch.state is not None:
        check_transition(before, patch.state)  # type: ignore[arg-type]
        repo.add_synthesis_history(
            session, meeting_id, item_id, role, by, "state", before, patch.state
        )
        item.state = patch.state
        action = "state"
    if patch.comment is not None:
        repo.add_synthesis_comment(session, meeting_id, item_id, role, by, patch.comment)
    item.updated_at = t.utcnow()
    session.flush()
    repo.audit(
        session, meeting_id, role, by, "synthesis.review",
        {"item": item_id, "action": action, "from": before, "to": item.state},
    )  # fmt: skip
    comments = [c for c in repo.synthesis_comments(session, meeting_id) if c.item_id == item_id]
    history = [h for h in repo.synthesis_history(session, meeting_id) if h.item_id == item_id]
    return _item_out(item, comments, history, team=True)


def share(session: Session, meeting_id: str, shared: bool, role: str) -> SynthesisOut:
    """Share the approved synthesis with the participants, or stop sharing it."""
    synth = repo.synthesis_row(session, meeting_id)
    states = [r.state for r in repo.synthesis_items(session, meeting_id)]
    if synth is None or not states:
        raise Conflict("there is no synthesis yet: generate it first (POST .../synthesis)")
    if shared:
        if not is_approved(states):
            undecided = sum(1 for st in states if st == "draft")
            raise Conflict(
                f"the synthesis is not approved: {undecided} item(s) still in draft; "
                "every item must be accepted, edited or rejected before sharing"
            )
        if synth.shared_at is None:
            synth.shared_at = t.utcnow()
    else:
        synth.shared_at = None
    session.flush()
    repo.audit(session, meeting_id, role, None, "synthesis.share", {"shared": shared})
    return read(session, meeting_id, "team")


# ---- export -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    media_type: str
    filename: str


def export(
    session: Session, meeting_id: str, fmt: ExportFormat, audience: Audience = "team"
) -> ExportFile:
    """The synthesis as Markdown or DOCX; marked as a draft until it is approved."""
    if fmt not in exporting.MEDIA_TYPES:
        raise InvalidInput(f"format: {fmt!r} is not supported; use md or docx")
    synthesis = read(session, meeting_id, audience)
    if not synthesis.generated:
        raise Conflict("there is no synthesis yet: generate it first (POST .../synthesis)")
    roster = Roster.from_meeting(repo.meeting_out(session, meeting_id))
    doc = exporting.build_doc(synthesis, roster)
    if fmt == "md":
        content = exporting.to_markdown(doc, roster).encode("utf-8")
    else:
        content = exporting.to_docx(doc, roster)
    stem = exporting.filename_stem(synthesis.language)
    draft = "" if synthesis.approved else "-draft"
    return ExportFile(
        content=content,
        media_type=exporting.MEDIA_TYPES[fmt],
        filename=f"{stem}-{meeting_id}{draft}.{fmt}",
    )
