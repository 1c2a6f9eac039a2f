"""Position routes: participants put their written position on the table before the meeting.

A participant acts only on their own position (their invite token says who they are,
so no participant id appears in a path). The facilitator and reviewers read all
positions; a participant reads only their own. Errors come from the agent and are
mapped to HTTP by ``api.errors``: 413 too large, 415 unsupported type, 422 empty,
unreadable, encrypted or without a text layer, 409 after the facilitator locked them.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from agent.errors import Conflict, InvalidInput, NotFound, UnsupportedMediaType
from agent.models import MeetingOut, PositionOut
from agent.positions import EXTENSIONS, ParsedPosition, check_text, parse_upload
from agent.retrieval import Passage
from agent.service import MeetingService
from agent.settings import Settings
from agent.store.repo import Principal
from api.deps import Anyone, Facilitator, Participant, Reader, ServiceDep, SettingsDep
from api.schemas import PositionTextIn

router = APIRouter(prefix="/meetings", tags=["positions"])

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": PositionTextIn.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": f"one of {', '.join(sorted(EXTENSIONS))}",
                        }
                    },
                    "required": ["file"],
                }
            },
        },
    }
}


def _own(who: Principal) -> str:
    if who.participant_id is None:
        raise InvalidInput("this token belongs to no participant")
    return who.participant_id


def _open_for_changes(service: MeetingService, meeting_id: str) -> None:
    # Checked before the upload is parsed, so a locked meeting answers 409 at once;
    # the store checks again in the same transaction as the write.
    if service.get_meeting(meeting_id).positions_locked:
        raise Conflict("positions are locked for this meeting: the facilitator closed them")


async def _read_position(request: Request, settings: Settings) -> ParsedPosition:
    """The position in the request: a multipart ``file`` or JSON ``{text}``.

    The body is already bounded by the size middleware; the exact upload limit is
    checked here on the file itself, before it is parsed.
    """
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limit = settings.max_upload_bytes
    if ctype == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("file: send the position as a multipart field named 'file'")
        data = await upload.read()
        # pypdf and python-docx are CPU-bound; keep the event loop free.
        return await asyncio.to_thread(
            parse_upload, data, upload.filename, upload.content_type, limit
        )
    if ctype == "application/json":
        try:
            body = PositionTextIn.model_validate_json(await request.body())
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_input=False)) from exc
        return ParsedPosition(
            text=check_text(body.text, limit), media_type="text/plain", filename=None
        )
    raise UnsupportedMediaType(
        "send the position as multipart/form-data with a file (.txt, .md, .docx, .pdf) "
        "or as JSON {text}"
    )


@router.post(
    "/{meeting_id}/positions", status_code=status.HTTP_201_CREATED, openapi_extra=_UPLOAD_BODY
)
async def add_position(
    meeting_id: str,
    request: Request,
    who: Participant,
    service: ServiceDep,
    settings: SettingsDep,
) -> PositionOut:
    """Put your position on the table: a file (.txt, .md, .docx, .pdf) or JSON ``{text}``.

    One position per participant: a second POST gets 409; replace it with PUT.
    """
    pid = _own(who)
    _open_for_changes(service, meeting_id)
    parsed = await _read_position(request, settings)
    return await service.add_position(
        meeting_id, pid, parsed.text, parsed.filename, parsed.media_type
    )


@router.put("/{meeting_id}/positions", openapi_extra=_UPLOAD_BODY)
async def replace_position(
    meeting_id: str,
    request: Request,
    who: Participant,
    service: ServiceDep,
    settings: SettingsDep,
    response: Response,
) -> PositionOut:
    """Replace your position with a new version (a new id). The old one is removed only
    when the new one was read in full; a bad file leaves it as it was."""
    pid = _own(who)
    _open_for_changes(service, meeting_id)
    parsed = await _read_position(request, settings)
    pos, old = await service.replace_position(
        meeting_id, pid, parsed.text, parsed.filename, parsed.media_type
    )
    if old is None:
        response.status_code = status.HTTP_201_CREATED
    return pos


@router.delete("/{meeting_id}/positions", status_code=status.HTTP_204_NO_CONTENT)
async def withdraw_position(meeting_id: str, who: Participant, service: ServiceDep) -> None:
    """Withdraw your position: its text, chunks and vectors are deleted."""
    await service.withdraw_position(meeting_id, _own(who))


@router.get("/{meeting_id}/positions")
async def list_positions(meeting_id: str, who: Anyone, service: ServiceDep) -> list[PositionOut]:
    """The facilitator and reviewers see every position; a participant only their own."""
    if who.role == "participant":
        return service.list_positions(meeting_id, _own(who))
    return service.list_positions(meeting_id)


@router.post("/{meeting_id}/positions/lock")
async def lock_positions(meeting_id: str, who: Facilitator, service: ServiceDep) -> MeetingOut:
    """Close positions: afterwards adding, replacing or withdrawing one gets 409."""
    return await service.lock_positions(meeting_id)


@router.get("/{meeting_id}/positions/search")
async def search_positions(
    meeting_id: str,
    who: Reader,
    service: ServiceDep,
    q: Annotated[str, Query(min_length=1, max_length=2000, description="what to look for")],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
) -> list[Passage]:
    """Passages of this meeting's positions closest to ``q`` (Dutch or English), with the
    author and their words verbatim; at most a few per author."""
    return await service.retrieve(meeting_id, q, k)


@router.get("/{meeting_id}/positions/{position_id}")
async def get_position(
    meeting_id: str, position_id: str, who: Anyone, service: ServiceDep
) -> PositionOut:
    """One current position. A replaced or withdrawn id gets 404 saying what became of
    it; a participant may read only their own."""
    if who.role != "participant":
        return service.get_position(meeting_id, position_id)
    private = NotFound(f"position {position_id!r} not found in this meeting")
    try:
        pos = service.get_position(meeting_id, position_id)
    except NotFound:
        raise private from None
    if pos.participant != who.participant_id:
        # The same answer as an id that does not exist: another's position stays private.
        raise private
    return pos
