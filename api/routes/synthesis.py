"""Synthesis routes: generate, read, review item by item, share, export.

Roles: the facilitator generates and shares; the facilitator and reviewers review and
export; a participant reads and exports only once the synthesis is approved and shared.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from agent.synthesis.engine import Audience
from agent.synthesis.models import ItemPatch, RegenerationReport, SynthesisItemOut, SynthesisOut
from api.deps import Anyone, Facilitator, Reader, ServiceDep

router = APIRouter(prefix="/meetings", tags=["synthesis"])


@router.post("/{meeting_id}/synthesis")
async def generate_synthesis(
    meeting_id: str, who: Facilitator, service: ServiceDep
) -> RegenerationReport:
    """Write (or rewrite) the synthesis now. Reviewed items are never overwritten: a
    changed finding is reported in ``conflicts`` instead. 409 while it is shared."""
    return await service.generate_synthesis(meeting_id, role=who.role)


@router.get("/{meeting_id}/synthesis")
async def get_synthesis(meeting_id: str, who: Anyone, service: ServiceDep) -> SynthesisOut:
    """The synthesis with every item's state, evidence, comments and history.

    A participant gets it only once it is approved and shared (403 before), and then
    only the accepted and edited items.
    """
    audience: Audience = "participant" if who.role == "participant" else "team"
    return service.get_synthesis(meeting_id, audience)


@router.patch("/{meeting_id}/synthesis/items/{item_id}")
async def review_item(
    meeting_id: str, item_id: str, body: ItemPatch, who: Reader, service: ServiceDep
) -> SynthesisItemOut:
    """Review one item: ``state`` (accepted, rejected, draft to reopen), ``text`` (an edit),
    ``comment``, or ``resolve`` (keep or adopt after a conflict). A move the review rules do
    not allow is a 409."""
    return await service.review_synthesis_item(meeting_id, item_id, body, who.role)


@router.post("/{meeting_id}/synthesis/share")
async def share_synthesis(meeting_id: str, who: Facilitator, service: ServiceDep) -> SynthesisOut:
    """Share the approved synthesis with the participants (409 unless every item is decided).
    While shared, it is frozen: review changes and regeneration get a 409."""
    return await service.share_synthesis(meeting_id, shared=True)


@router.delete("/{meeting_id}/synthesis/share")
async def unshare_synthesis(meeting_id: str, who: Facilitator, service: ServiceDep) -> SynthesisOut:
    """Stop sharing the synthesis with the participants, so the team can change it again."""
    return await service.share_synthesis(meeting_id, shared=False)


@router.get("/{meeting_id}/synthesis/export")
async def export_synthesis(
    meeting_id: str,
    who: Anyone,
    service: ServiceDep,
    format: Annotated[Literal["md", "docx"], Query(description="md or docx")] = "md",
) -> Response:
    """The synthesis as Markdown or DOCX, with its citation list. Until every item is decided
    the export is marked as a draft; once approved it holds exactly the accepted and edited
    items. Rejected items never appear."""
    audience: Audience = "participant" if who.role == "participant" else "team"
    file = service.export_synthesis(meeting_id, format, audience)
    return Response(
        content=file.content,
        media_type=file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )
