"""The web pages over HTTP: token exchange, session cookie, role → page, headers, escaping.

The pages themselves are driven in a real browser in ``tests/browser``; these tests pin
what the server promises on the wire.
"""

from __future__ import annotations

import json
import logging
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.models import STEPS, Signal
from agent.prompts import load_yaml
from agent.synthesis.models import ITEM_STATES, Basis
from api.web.security import CSP, RedactTokens, redact
from api.web.session import COOKIE, CSRF_HEADER
from tests.conftest import bearer, meeting_body

WEB = Path(__file__).resolve().parents[1] / "api" / "web"
CSRF = {CSRF_HEADER: "1"}


@pytest.fixture
def meeting(client: TestClient) -> dict[str, Any]:
    r = client.post("/meetings", json=meeting_body("en"))
    assert r.status_code == 201, r.text
    return r.json()


def _open(client: TestClient, mid: str, token: str) -> Any:
    """Open an invite link the way a browser does: the exchange, then the page."""
    r = client.get(f"/m/{mid}", params={"token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/m/{mid}"
    page = client.get(r.headers["location"])
    assert page.status_code == 200, page.text
    return page


# ---- the exchange ----------------------------------------------------------------


def test_link_sets_scoped_httponly_strict_cookies_and_drops_the_token(
    client: TestClient, meeting: dict[str, Any]
) -> None:
    mid, token = meeting["id"], meeting["facilitator_token"]
    r = client.get(f"/m/{mid}?token={token}", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/m/{mid}"  # no token in the next address
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-store"
    cookies = r.headers.get_list("set-cookie")
    assert len(cookies) == 2
    paths = set()
    for c in cookies:
        attrs = [a.strip().lower() for a in c.split(";")]
        assert attrs[0] == f"{COOKIE}={token}".lower()
        assert "httponly" in attrs
        assert "samesite=strict" in attrs
        assert "secure" not in attrs  # plain http in the test; set behind https
        assert not any(a.startswith("domain=") for a in attrs)
        paths |= {a.split("=", 1)[1] for a in attrs if a.startswith("path=")}
    assert paths == {f"/m/{mid}", f"/meetings/{mid}"}


@pytest.mark.parametrize(
    ("who", "page"),
    [("facilitator_token", "console"), ("reviewer_token", "review"), ("anna", "participant")],
)
def test_each_role_gets_its_own_page(
    client: TestClient, meeting: dict[str, Any], who: str, page: str
) -> None:
    token = meeting[who] if who in meeting else meeting["invites"][who]
    r = _open(client, meeting["id"], token)
    assert f'class="page-{page}"' in r.text
    assert f'src="/static/{page}.js' in r.text
    assert r.headers["cache-control"] == "no-store"


def test_a_bad_or_foreign_token_gets_the_same_page_in_both_languages(
    client: TestClient, meeting: dict[str, Any]
) -> None:
    other = client.post("/meetings", json=meeting_body("nl")).json()
    mid = meeting["id"]
    bad = client.get(f"/m/{mid}?token=not-a-token", follow_redirects=False)
    foreign = client.get(f"/m/{mid}?token={other['facilitator_token']}", follow_redirects=False)
    missing = client.get(f"/m/nope?token={meeting['facilitator_token']}", follow_redirects=False)
    for r in (bad, foreign, missing):
        assert r.status_code == 401
        assert "set-cookie" not in r.headers
        assert 'lang="nl"' in r.text and 'lang="en"' in r.text
        assert "uitnodigingslink" in r.text and "invitation link" in r.text
    # The same words whether or not the meeting exists: a token reveals no other meeting.
    assert bad.text == foreign.text == missing.text.replace("nope", mid)


def test_without_a_session_the_page_asks_for_the_invite_link(
    client: TestClient, meeting: dict[str, Any]
) -> None:
    for path in ("", "/room", "/review"):
        r = client.get(f"/m/{meeting['id']}{path}")
        assert r.status_code == 401
        assert "link from your invitation" in r.text


def test_room_is_for_the_facilitator_and_review_for_the_team(
    client: TestClient, meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    _open(client, mid, meeting["facilitator_token"])
    assert 'class="page-room"' in client.get(f"/m/{mid}/room").text
    assert 'class="page-review"' in client.get(f"/m/{mid}/review").text
    client.cookies.clear()
    _open(client, mid, meeting["reviewer_token"])
    r = client.get(f"/m/{mid}/room")
    assert r.status_code == 403 and "not meant for your role" in r.text
    client.cookies.clear()
    _open(client, mid, meeting["invites"]["anna"])
    assert client.get(f"/m/{mid}/review").status_code == 403
    assert client.get(f"/m/{mid}/room").status_code == 403


def test_sign_out_clears_the_session(client: TestClient, meeting: dict[str, Any]) -> None:
    mid = meeting["id"]
    _open(client, mid, meeting["facilitator_token"])
    r = client.post(f"/m/{mid}/signout")
    assert r.status_code == 200
    assert len(r.headers.get_list("set-cookie")) == 2
    assert all("max-age=0" in c.lower() for c in r.headers.get_list("set-cookie"))
    assert client.get(f"/m/{mid}").status_code == 401
    assert client.get(f"/meetings/{mid}").status_code == 401


# ---- the API with the cookie ------------------------------------------------------


def test_the_api_accepts_the_session_cookie(client: TestClient, meeting: dict[str, Any]) -> None:
    mid = meeting["id"]
    _open(client, mid, meeting["facilitator_token"])
    assert client.get(f"/meetings/{mid}/agreements").status_code == 200
    r = client.post(
        f"/meetings/{mid}/utterances", json={"speaker": "anna", "text": "Hallo."}, headers=CSRF
    )
    assert r.status_code == 201, r.text
    # The role still decides: a participant's cookie may not add to the transcript.
    client.cookies.clear()
    _open(client, mid, meeting["invites"]["anna"])
    r = client.post(
        f"/meetings/{mid}/utterances", json={"speaker": "anna", "text": "Hallo."}, headers=CSRF
    )
    assert r.status_code == 403
    r = client.post(f"/meetings/{mid}/positions", json={"text": "Mijn standpunt."}, headers=CSRF)
    assert r.status_code == 201
    assert [p["participant"] for p in client.get(f"/meetings/{mid}/positions").json()] == ["anna"]


def test_a_change_with_the_cookie_needs_the_pages_header(
    client: TestClient, meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    _open(client, mid, meeting["facilitator_token"])
    r = client.post(f"/meetings/{mid}/step", json={"to": "frame"})
    assert r.status_code == 403
    assert CSRF_HEADER in r.json()["detail"]
    assert client.get(f"/meetings/{mid}").json()["step"] == "start"
    # A bearer token needs no such header: scripts and curl work as before.
    client.cookies.clear()
    r = client.post(
        f"/meetings/{mid}/step", json={"to": "frame"}, headers=bearer(meeting["facilitator_token"])
    )
    assert r.status_code == 200


def test_one_meetings_cookie_cannot_act_on_another(
    client: TestClient, meeting: dict[str, Any]
) -> None:
    other = client.post("/meetings", json=meeting_body("en")).json()
    mid, oid = meeting["id"], other["id"]
    _open(client, mid, meeting["facilitator_token"])
    # The browser does not send it: the cookie's path is the meeting's own.
    assert client.get(f"/meetings/{oid}").status_code == 401
    assert client.get(f"/m/{oid}").status_code == 401
    # Sent by hand, the API still refuses it, with the answer for a meeting that is not there.
    client.cookies.clear()
    forged = {"Cookie": f"{COOKIE}={meeting['facilitator_token']}", **CSRF}
    r = client.post(f"/meetings/{oid}/step", json={"to": "frame"}, headers=forged)
    assert r.status_code == 404
    assert client.get(f"/m/{oid}", headers=forged).status_code == 401
    assert client.get(f"/meetings/{oid}", headers=bearer(other["facilitator_token"])).json()[
        "step"
    ] == ("start")


def test_a_revoked_or_bogus_cookie_is_401(client: TestClient, meeting: dict[str, Any]) -> None:
    mid = meeting["id"]
    r = client.get(f"/meetings/{mid}", headers={"Cookie": f"{COOKIE}=bogus"})
    assert r.status_code == 401


# ---- headers, escaping, no external resources ------------------------------------------


def test_security_headers_and_a_strict_csp(client: TestClient, meeting: dict[str, Any]) -> None:
    r = _open(client, meeting["id"], meeting["facilitator_token"])
    csp = r.headers["content-security-policy"]
    assert csp == CSP
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-content-type-options"] == "nosniff"
    # The JSON API and static files carry the headers too; the API docs keep their CDN.
    assert client.get("/health").headers["content-security-policy"] == CSP
    assert client.get("/static/web.css").headers["content-security-policy"] == CSP
    assert "content-security-policy" not in client.get("/docs").headers


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text.append(data)


def _pages(client: TestClient, meeting: dict[str, Any]) -> list[str]:
    mid = meeting["id"]
    pages = [_open(client, mid, meeting["facilitator_token"]).text]
    pages.append(client.get(f"/m/{mid}/room").text)
    pages.append(client.get(f"/m/{mid}/review").text)
    client.cookies.clear()
    pages.append(_open(client, mid, meeting["invites"]["anna"]).text)
    client.cookies.clear()
    return pages


def test_pages_run_no_inline_code_and_load_only_local_files(
    client: TestClient, meeting: dict[str, Any]
) -> None:
    for html in _pages(client, meeting):
        parser = _Tags()
        parser.feed(html)
        scripts = [a for t, a in parser.tags if t == "script"]
        assert scripts, "a page without its script"
        for attrs in scripts:
            # Either a file from this origin or a data block the browser never runs.
            assert attrs.get("type") == "application/json" or (attrs.get("src") or "").startswith(
                "/static/"
            )
        for tag, attrs in parser.tags:
            assert not any(k.startswith("on") for k in attrs), (tag, attrs)
            assert "style" not in attrs, (tag, attrs)
            for key in ("src", "href", "action"):
                value = attrs.get(key)
                if value is not None:
                    assert value.startswith("/"), f"external or relative {key}: {value}"
                    if value.startswith("/static/"):
                        assert client.get(value).status_code == 200, value
        assert "<style" not in html


def test_static_scripts_never_write_html() -> None:
    banned = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(")
    for js in (WEB / "static").glob("*.js"):
        assert not banned.search(js.read_text()), js.name
    for css in (WEB / "static").glob("*.css"):
        assert "url(http" not in css.read_text() and "@import" not in css.read_text()


def test_what_people_wrote_is_escaped(client: TestClient) -> None:
    body = meeting_body("en")
    body["topic"]["title"] = "Budget <script>alert('t')</script>"
    body["topic"]["goal"] = "Goal <img src=x onerror=alert(1)>"
    body["participants"][1]["name"] = "Anna <b onmouseover=alert(2)>"
    body["parties"][1]["name"] = "</script><script>alert(3)</script>"
    created = client.post("/meetings", json=body).json()
    mid = created["id"]
    for token in (created["facilitator_token"], created["invites"]["anna"]):
        client.cookies.clear()
        html = _open(client, mid, token).text
        assert "<script>alert" not in html
        assert "<img src=x" not in html and "<b onmouseover" not in html
        assert "Budget &lt;script&gt;alert(" in html
        parser = _Tags()
        parser.feed(html)
        assert [t for t, _ in parser.tags].count("script") == 3  # boot data, common, page
        # The boot data is JSON the page parses, with '<' escaped so it cannot end the block.
        boot_text = "".join(parser.script_text)
        assert "</" not in boot_text
        boot = json.loads(boot_text)
        assert boot["meeting"]["topic"]["title"] == "Budget <script>alert('t')</script>"


# ---- languages --------------------------------------------------------------------------


def _keys(data: Any, prefix: str = "") -> set[str]:
    if isinstance(data, dict):
        out: set[str] = set()
        for k, v in data.items():
            out |= _keys(v, f"{prefix}{k}.")
        return out
    return {prefix.rstrip(".")}


def test_dutch_and_english_have_the_same_strings() -> None:
    nl, en = load_yaml("web.nl.yaml"), load_yaml("web.en.yaml")
    assert _keys(nl) == _keys(en)
    for key in _keys(en):
        a, b = nl, en
        for part in key.split("."):
            a, b = a[part], b[part]
        assert isinstance(a, str) and isinstance(b, str), key
        assert set(re.findall(r"\$\w+", a)) == set(re.findall(r"\$\w+", b)), key
        if key != "review.basis.evidence":
            assert a.strip() and b.strip(), key
    # Every step, review state, basis and signal kind has its words.
    assert set(en["steps"]) == set(STEPS)
    assert set(en["review"]["states"]) == set(ITEM_STATES)
    assert set(en["review"]["basis"]) == set(Basis.__args__)  # type: ignore[attr-defined]
    kinds = Signal.model_fields["kind"].annotation.__args__  # type: ignore[union-attr]
    assert set(en["console"]["signal_kinds"]) == set(kinds)


def test_every_string_the_pages_use_exists() -> None:
    en = load_yaml("web.en.yaml")
    used: set[str] = set()
    for f in [*(WEB / "templates").glob("*.html"), *(WEB / "static").glob("*.js")]:
        used |= set(re.findall(r"\bt\.(\w+\.\w+)\b", f.read_text()))
    assert len(used) > 60
    known = _keys(en) | {k.rsplit(".", 1)[0] for k in _keys(en)}
    assert not sorted(used - known)


def test_a_dutch_meeting_gets_dutch_pages(client: TestClient) -> None:
    created = client.post("/meetings", json=meeting_body("nl")).json()
    mid = created["id"]
    html = _open(client, mid, created["facilitator_token"]).text
    assert '<html lang="nl">' in html
    for words in ("Waarden eerst", "Punten van overeenstemming", "Toon aan de zaal"):
        assert words in html
    client.cookies.clear()
    html = _open(client, mid, created["invites"]["anna"]).text
    assert "Hallo Anna de Vries" in html and "Op tafel leggen" in html
    en = client.post("/meetings", json=meeting_body("en")).json()
    client.cookies.clear()
    html = _open(client, en["id"], en["facilitator_token"]).text
    assert '<html lang="en">' in html and "Values first" in html


# ---- logs --------------------------------------------------------------------------------


def test_tokens_are_redacted_from_uvicorn_access_records() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/m/abc?token=s3cr3t-Tok_en&x=1", "1.1", 303),
        None,
    )
    assert RedactTokens().filter(record)
    line = record.getMessage()
    assert "s3cr3t" not in line
    assert "/m/abc?token=[redacted]&x=1" in line
    assert redact("GET /x?access_token=abc HTTP/1.1") == "GET /x?access_token=[redacted] HTTP/1.1"
    assert redact("no tokens here") == "no tokens here"
