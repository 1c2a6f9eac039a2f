"""``POST /meetings/{id}/consult/stream``: the consult answer as server-sent events.

Events, each a JSON ``data`` line: ``started`` (the backend), ``progress`` (characters the
model has written so far; its words are not sent before they are checked), and one
``answer`` (a :class:`~agent.models.ConsultAnswer`, ``fallback`` set when the local engine
answered instead). Caller mistakes (no token, wrong meeting, empty question) are plain
4xx responses before the stream starts. When the client disconnects, the server cancels
the stream, and with it the upstream model call.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from agent.llm.events import ConsultEvent
from api.deps import Facilitator, ServiceDep
from api.schemas import ConsultIn

router = APIRouter(prefix="/meetings", tags=["meetings"])


def sse(event: ConsultEvent) -> bytes:
    """One event in the ``text/event-stream`` wire format."""
    data = json.dumps(event.model_dump(mode="json", exclude_none=True), ensure_ascii=False)
    return f"event: {event.kind}\ndata: {data}\n\n".encode()


@router.post(
    "/{meeting_id}/consult/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-sent events"}},
)
async def consult_stream(
    meeting_id: str, body: ConsultIn, who: Facilitator, service: ServiceDep
) -> StreamingResponse:
    """Ask the agent a free question and follow the answer as it is written."""
    events = await service.consult_stream(meeting_id, body.question)

    async def stream() -> AsyncIterator[bytes]:
        try:
            async for event in events:
                yield sse(event)
        finally:
            # Runs on completion and when a disconnect cancels the stream: closing the
            # event iterator cancels the model call and its upstream request.
            await events.aclose()

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
