"""The pages. Every role opens ``/m/{id}?token=...`` and gets the page for its role.

The token in the link is exchanged for the session cookie (:mod:`api.web.session`) and
the browser is sent on to ``/m/{id}``, so the token leaves the address bar before a page
is shown (and ``Referrer-Policy: no-referrer`` keeps any address out of referrers). A
page holds only words and the meeting's set-up; its script fetches everything else from
the JSON API, so what the agent or a participant wrote reaches the page only as text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from agent.models import STEPS, Language, MeetingOut
from agent.store.repo import Principal
from api.deps import ServiceDep
from api.web import session
from api.web.strings import LANGUAGES, section_titles, strings
from rondetafel import __version__

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
# Autoescape on for every template: whatever a participant or the agent wrote is escaped
# wherever a template prints it.
templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, auto_reload=False
    )
)

router = APIRouter(prefix="/m", include_in_schema=False)

NO_STORE = {"Cache-Control": "no-store"}


def _message(
    request: Request, key: str, status_code: int, language: Language | None = None
) -> HTMLResponse:
    """A short page that says what is wrong, in the meeting's language when it is known
    and in both languages when it is not (a bad link reveals no meeting)."""
    langs: list[Language] = [language] if language else list(LANGUAGES)
    lines = [{"lang": lang, "text": strings(lang)["errors"][key]} for lang in langs]
    return templates.TemplateResponse(
        request,
        "message.html",
        {"lang": langs[0], "lines": lines, "title": strings(langs[0])["common"]["app"]},
        status_code=status_code,
        headers=NO_STORE,
    )


def _boot(meeting: MeetingOut, who: Principal, page: str) -> dict[str, Any]:
    """What the page's script needs to start: the meeting's set-up, the caller's role
    and the words. It travels in a ``<script type="application/json">`` block, which
    the browser never runs, serialised with Jinja's ``tojson`` (``<``, ``>``, ``&`` and
    quotes escaped)."""
    return {
        "page": page,
        "meeting": meeting.model_dump(mode="json"),
        "role": who.role,
        "participant": who.participant_id,
        "steps": list(STEPS),
        # A list, not an object: tojson sorts an object's keys, and the order matters.
        "sections": list(section_titles(meeting.language).items()),
        "t": strings(meeting.language),
    }


def _page(
    request: Request, template: str, meeting: MeetingOut, who: Principal, page: str
) -> HTMLResponse:
    t = strings(meeting.language)
    me = next((p for p in meeting.participants if p.id == who.participant_id), None)
    parties = {p.id: p.name for p in meeting.parties}
    return templates.TemplateResponse(
        request,
        template,
        {
            "lang": meeting.language,
            "t": t,
            "meeting": meeting,
            "role": who.role,
            "me": me,
            "my_party": parties.get(me.party) if me else None,
            "page": page,
            "steps": STEPS,
            "boot": _boot(meeting, who, page),
            "version": __version__,
        },
        headers=NO_STORE,
    )


def _who(request: Request, service: ServiceDep, meeting_id: str) -> Principal | None:
    token = session.session_token(request)
    return session.resolve(service.db, token, meeting_id) if token else None


@router.get("/{meeting_id}", response_class=HTMLResponse)
async def meeting_page(
    meeting_id: str,
    request: Request,
    service: ServiceDep,
    token: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The page for the caller's role: the console, the participant's page or the review."""
    if token is not None:
        who = session.resolve(service.db, token.strip(), meeting_id)
        if who is None:
            return _message(request, "invalid_link", status.HTTP_401_UNAUTHORIZED)
        # 303: the browser fetches /m/{id} with GET, and the token is out of the address bar.
        response = RedirectResponse(
            f"/m/{meeting_id}", status_code=status.HTTP_303_SEE_OTHER, headers=NO_STORE
        )
        session.set_session(response, request, meeting_id, token.strip())
        return response
    who = _who(request, service, meeting_id)
    if who is None:
        return _message(request, "no_session", status.HTTP_401_UNAUTHORIZED)
    meeting = service.get_meeting(meeting_id)
    if who.role == "facilitator":
        return _page(request, "console.html", meeting, who, "console")
    if who.role == "reviewer":
        return _page(request, "review.html", meeting, who, "review")
    return _page(request, "participant.html", meeting, who, "participant")


@router.get("/{meeting_id}/room", response_class=HTMLResponse)
async def room_page(meeting_id: str, request: Request, service: ServiceDep) -> Response:
    """The points of agreement only, for a projector (the facilitator's session)."""
    who = _who(request, service, meeting_id)
    if who is None:
        return _message(request, "no_session", status.HTTP_401_UNAUTHORIZED)
    meeting = service.get_meeting(meeting_id)
    if who.role != "facilitator":
        return _message(request, "wrong_role", status.HTTP_403_FORBIDDEN, meeting.language)
    return _page(request, "room.html", meeting, who, "room")


@router.get("/{meeting_id}/review", response_class=HTMLResponse)
async def review_page(meeting_id: str, request: Request, service: ServiceDep) -> Response:
    """The review page, for the team and for the facilitator."""
    who = _who(request, service, meeting_id)
    if who is None:
        return _message(request, "no_session", status.HTTP_401_UNAUTHORIZED)
    meeting = service.get_meeting(meeting_id)
    if who.role not in ("facilitator", "reviewer"):
        return _message(request, "wrong_role", status.HTTP_403_FORBIDDEN, meeting.language)
    return _page(request, "review.html", meeting, who, "review")


@router.post("/{meeting_id}/signout")
async def sign_out(meeting_id: str, request: Request) -> Response:
    """Forget the session on this browser; the invite link opens the page again."""
    response = _message(request, "signed_out", status.HTTP_200_OK)
    session.clear_session(response, request, meeting_id)
    return response
