"""The FastAPI application: built by :func:`create_app`, resources made once in lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from agent.reasoner.base import Reasoner
from agent.service import open_service
from agent.settings import Settings, get_settings
from api import errors
from api.deps import ServiceDep
from api.limits import BodySizeLimit
from api.routes import consult_stream, events, meetings, positions, synthesis, transcript
from api.schemas import Health
from api.web import mount as web
from rondetafel import __version__

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, reasoner: Reasoner | None = None) -> FastAPI:
    """An app bound to ``settings`` (default: the environment's). ``reasoner`` replaces the
    one the settings describe (tests inject a scripted llm backend this way)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_service(settings, reasoner=reasoner) as service:
            app.state.service = service
            app.state.settings = settings
            log.info("rondetafel ready: data in %s, backend %s", settings.data_dir, service.backend)
            try:
                yield
            finally:
                service.events.close()

    app = FastAPI(
        title="Rondetafel",
        version=__version__,
        summary="A co-facilitator for joint meetings: values before solutions, connection "
        "before differences.",
        lifespan=lifespan,
    )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        upload_max_bytes=settings.max_upload_bytes,
    )
    errors.install(app)
    # The pages (/m/...), their static files, security headers and tokens kept out of logs.
    web.install(app)
    app.include_router(meetings.router)
    app.include_router(consult_stream.router)
    app.include_router(events.router)
    app.include_router(positions.router)
    app.include_router(transcript.router)
    app.include_router(synthesis.router)

    @app.get("/health", tags=["health"])
    async def health(service: ServiceDep) -> Health:
        """Which backend and model are active. No token needed, no secrets shown."""
        return Health(
            status="ok", backend=service.backend, model=service.model, version=__version__
        )

    return app
