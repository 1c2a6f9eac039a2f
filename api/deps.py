"""FastAPI dependencies as ``Annotated`` aliases. Tests swap them via ``dependency_overrides``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Path, Request

from agent.errors import Forbidden, NotFound, Unauthenticated
from agent.models import Role
from agent.service import MeetingService
from agent.settings import Settings
from agent.store import repo
from agent.store.repo import Principal
from api.web import session


def get_service(request: Request) -> MeetingService:
    """The service built once in the app's lifespan."""
    service: MeetingService = request.app.state.service
    return service


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


ServiceDep = Annotated[MeetingService, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_principal(
    request: Request,
    service: ServiceDep,
    meeting_id: Annotated[str, Path()],
    authorization: Annotated[str | None, Header()] = None,
) -> Principal:
    """The caller behind the bearer token, or else behind the pages' session cookie.
    401 without a valid token; 404 for another meeting."""
    if authorization and authorization.lower().startswith("bearer "):
        token = authorization.split(" ", 1)[1].strip()
    elif (cookie := session.session_token(request)) is not None:
        if request.method not in session.SAFE_METHODS and not request.headers.get(
            session.CSRF_HEADER
        ):
            raise Forbidden(
                f"a change made with the session cookie needs the {session.CSRF_HEADER} header"
            )
        token = cookie
    else:
        raise Unauthenticated("missing bearer token: send 'Authorization: Bearer <token>'")
    with service.db.session() as s:
        principal = repo.resolve_token(s, token)
    if principal is None:
        raise Unauthenticated("unknown or revoked token")
    if principal.meeting_id != meeting_id:
        # Same answer as a meeting that does not exist: a token reveals no other meeting.
        raise NotFound(f"meeting {meeting_id!r} not found")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets only ``roles`` through (403 otherwise)."""

    def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            raise Forbidden(
                f"the {principal.role} role may not do this; allowed: {', '.join(roles)}"
            )
        return principal

    return check


Facilitator = Annotated[Principal, Depends(require("facilitator"))]
Reader = Annotated[Principal, Depends(require("facilitator", "reviewer"))]
Anyone = Annotated[Principal, Depends(require("facilitator", "reviewer", "participant"))]
Participant = Annotated[Principal, Depends(require("participant"))]
