"""``GET /meetings/{id}/events``: the facilitator's screen, kept up to date.

A server-sent event stream. Every message is ``event: update`` with an increasing ``id``
and one JSON ``data`` line: ``reason`` (``hello`` for the first snapshot, then
``utterances``, ``step``, ``frame``, ``positions`` or ``synthesis``), the current
``step``, and the same bodies as ``GET .../suggestions``, ``GET .../agreements`` and
``GET .../signals``. Each message is a whole snapshot, so a screen that missed one only
needs the next. Comment lines (``: ping``) keep quiet connections open.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from agent.events import MeetingUpdate
from api.deps import Facilitator, ServiceDep, SettingsDep
from api.schemas import AgreementsOut, SignalsOut

router = APIRouter(prefix="/meetings", tags=["meetings"])


def update_message(seq: int, update: MeetingUpdate) -> bytes:
    """One ``update`` message in the ``text/event-stream`` wire format."""
    body = {
        "reason": update.reason,
        "step": update.step,
        "suggestions": update.suggestions.model_dump(mode="json"),
        "agreements": AgreementsOut(
            agreements=update.agreements, differences=update.differences
        ).model_dump(mode="json"),
        "signals": SignalsOut(signals=update.signals).model_dump(mode="json"),
    }
    data = json.dumps(body, ensure_ascii=False)
    return f"event: update\nid: {seq}\ndata: {data}\n\n".encode()


@router.get(
    "/{meeting_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-sent events"}},
)
async def events(
    meeting_id: str, who: Facilitator, service: ServiceDep, settings: SettingsDep
) -> StreamingResponse:
    """Follow the meeting: new advice, agreements and signals after every change."""
    updates = await service.watch(meeting_id, heartbeat=settings.events_heartbeat_s)

    async def stream() -> AsyncIterator[bytes]:
        seq = 0
        try:
            async for update in updates:
                if update is None:
                    yield b": ping\n\n"
                    continue
                seq += 1
                yield update_message(seq, update)
        finally:
            await updates.aclose()

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
