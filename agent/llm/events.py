"""Events of a streamed consult answer (``POST .../consult/stream``).

The model's tokens are never forwarded as they arrive: they are unchecked. What streams is
progress (how much the model has written so far), then the one validated answer, which may
be the local engine's when the model failed (``answer.fallback``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from agent.models import ConsultAnswer


class ConsultEvent(BaseModel):
    """``started`` (backend), ``progress`` (characters received), then ``answer``."""

    kind: Literal["started", "progress", "answer"]
    backend: str | None = None
    chars: int | None = None
    answer: ConsultAnswer | None = None
