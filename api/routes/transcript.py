"""Import a whole transcript file (WebVTT, SRT or 'Name: text' lines)."""

from __future__ import annotations

import json
from typing import Literal

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field

from agent.errors import InvalidInput, UnsupportedMediaType
from agent.models import UtteranceOut
from api.deps import Facilitator, ServiceDep

router = APIRouter(prefix="/meetings", tags=["transcript"])


class TranscriptIn(BaseModel):
    """A transcript as text, with an optional format and speaker mapping."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1)
    format: Literal["vtt", "srt", "text"] | None = None
    mapping: dict[str, str] | None = None


def _decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{what}: not UTF-8 text") from exc


@router.post(
    "/{meeting_id}/transcript",
    status_code=status.HTTP_201_CREATED,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": TranscriptIn.model_json_schema()},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "mapping": {"type": "string", "description": "JSON {name: id}"},
                        },
                        "required": ["file"],
                    }
                },
            }
        }
    },
)
async def import_transcript(
    meeting_id: str, request: Request, who: Facilitator, service: ServiceDep
) -> list[UtteranceOut]:
    """Add every turn of a transcript file in one batch: all of it, or none of it."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidInput("file: a transcript file is required")
        content = _decode(await upload.read(), "file")
        mapping_raw = form.get("mapping")
        try:
            mapping = json.loads(mapping_raw) if isinstance(mapping_raw, str) else None
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"mapping: not valid JSON ({exc.msg})") from exc
        return await service.import_transcript(
            meeting_id, content, filename=upload.filename, mapping=mapping
        )
    if ctype.startswith("application/json"):
        try:
            body = TranscriptIn.model_validate_json(await request.body())
        except ValueError as exc:
            raise InvalidInput(f"body: {exc}") from exc
        return await service.import_transcript(
            meeting_id, body.text, fmt=body.format, mapping=body.mapping
        )
    raise UnsupportedMediaType("send multipart/form-data with a file, or JSON {text}")
