"""Map the agent's exceptions to HTTP at the edge, and nowhere else."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from agent.errors import CallerError, ModelError

log = logging.getLogger(__name__)


def _loc(loc: tuple[object, ...] | list[object]) -> str:
    parts: list[str] = []
    for p in loc:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        else:
            parts.append(("." if parts else "") + str(p))
    return "".join(parts) or "body"


def install(app: FastAPI) -> None:
    """Register the exception handlers on ``app``."""

    @app.exception_handler(CallerError)
    async def caller_error(_: Request, exc: CallerError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status_code)

    @app.exception_handler(ModelError)
    async def model_error(_: Request, exc: ModelError) -> JSONResponse:
        log.error("model error reached the API edge: %s", type(exc).__name__)
        return JSONResponse({"detail": "the reasoning backend failed"}, status_code=502)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = _loc(err.get("loc", ()))
            if err.get("type") == "json_invalid":
                ctx = err.get("ctx") or {}
                problems.append(f"malformed JSON: {ctx.get('error', err.get('msg'))}")
            elif err.get("type") == "missing":
                problems.append(f"{where}: field required")
            else:
                problems.append(f"{where}: {err.get('msg')}")
        return JSONResponse(
            {"detail": "; ".join(problems), "errors": jsonable(exc.errors())}, status_code=422
        )


def jsonable(errors: object) -> object:
    """Validation errors without the raw input, which may be large or private."""
    if isinstance(errors, list | tuple):
        return [
            {k: v for k, v in e.items() if k in ("loc", "msg", "type")}
            for e in errors
            if isinstance(e, dict)
        ]
    return []
