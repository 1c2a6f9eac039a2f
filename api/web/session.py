"""The session cookie a page gets in exchange for the token in its invite link.

The cookie holds the token itself: the store keeps only token hashes, so a server-side
session table would add a second secret without removing the first. What makes it a
session is how it travels: ``HttpOnly`` (page scripts cannot read it), ``SameSite=Strict``
(no other site can make the browser send it) and a path per meeting. One cookie is set
for the pages (``/m/{id}``) and one for the JSON API (``/meetings/{id}``), so a browser
never sends one meeting's cookie to another meeting's address; the API checks the
meeting again anyway.
"""

from __future__ import annotations

from fastapi import Request, Response

from agent.store import repo
from agent.store.db import Database
from agent.store.repo import Principal

COOKIE = "rondetafel_session"
# Scripts on the pages send this header with every change they make. A form on another
# site cannot set a custom header without a CORS preflight this app never grants, so a
# cookie-authenticated change without it is refused (defence in depth next to SameSite).
CSRF_HEADER = "x-rondetafel-request"
# A meeting day, with room to spare; after it the invite link opens the page again.
MAX_AGE_S = 12 * 60 * 60
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def cookie_paths(meeting_id: str) -> tuple[str, str]:
    """The pages' path and the JSON API's path of one meeting."""
    return f"/m/{meeting_id}", f"/meetings/{meeting_id}"


def set_session(response: Response, request: Request, meeting_id: str, token: str) -> None:
    """Set the meeting's session cookies on ``response``."""
    for path in cookie_paths(meeting_id):
        response.set_cookie(
            COOKIE,
            token,
            max_age=MAX_AGE_S,
            path=path,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )


def clear_session(response: Response, request: Request, meeting_id: str) -> None:
    """Remove the meeting's session cookies."""
    for path in cookie_paths(meeting_id):
        response.delete_cookie(
            COOKIE,
            path=path,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )


def session_token(request: Request) -> str | None:
    """The token in the request's session cookie, if any."""
    token = request.cookies.get(COOKIE)
    return (token or "").strip() or None


def resolve(db: Database, token: str, meeting_id: str) -> Principal | None:
    """The principal behind ``token`` if it belongs to ``meeting_id``, else None."""
    with db.session() as s:
        principal = repo.resolve_token(s, token)
    if principal is None or principal.meeting_id != meeting_id:
        return None
    return principal
