"""Add the pages to an app: routes, static files, security headers, log redaction."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.web.routes import STATIC_DIR, router
from api.web.security import SecurityHeaders, install_log_redaction


def install(app: FastAPI) -> None:
    """Add the pages, their static files, the security headers and the log redaction."""
    install_log_redaction()
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(router)
