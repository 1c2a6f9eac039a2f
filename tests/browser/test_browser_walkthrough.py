"""The pages in a real browser: Debian's chromium, driven by Playwright, against a real
``rondetafel serve`` process.

Nothing here downloads a browser: Playwright launches the system's chromium through
``executable_path``. Without it the tests skip, unless ``RONDETAFEL_BROWSER_REQUIRED=1``
(CI), where a missing browser is a failure. Screenshots of every page go to
``RONDETAFEL_SCREENSHOTS_DIR`` when it is set (``docs/screenshots`` holds the committed
ones), otherwise to a temporary directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer, bearer, meeting_body

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
REQUIRED = os.environ.get("RONDETAFEL_BROWSER_REQUIRED") == "1"
# Headless, and nothing that phones home or updates itself.
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAPTOP = {"width": 1366, "height": 768}
PROJECTOR = {"width": 1280, "height": 720}
DESK = {"width": 1280, "height": 900}

# A pair the local engine reads as a cross-party agreement (see tests/test_agreements.py).
STATEMENT = "For us, good guidance for students comes first."
REPLY = "I agree, good guidance matters most to us as well."
STATEMENT_NL = "Voor ons staat goede begeleiding van studenten voorop."
REPLY_NL = "Daar ben ik het helemaal mee eens."
POSITION = "For us, the workload of teachers must come first. Guidance for students matters."
NOOR_POSITION = "The student council asks for smaller tutor groups in the first year."


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (RONDETAFEL_BROWSER_REQUIRED=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"no chromium at {CHROMIUM}: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    s = LiveServer(tmp_path_factory.mktemp("web") / "data")
    s.start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = os.environ.get("RONDETAFEL_SCREENSHOTS_DIR")
    path = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(autouse=True)
def _expect_timeout() -> None:
    try:
        from playwright.sync_api import expect
    except ImportError:
        return  # the browser fixture skips (or fails) with the reason
    # Generous: the server shares two cores with other work.
    expect.set_options(timeout=30_000)


def _page(context: Any, errors: list[str]) -> Any:
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


def _say(console: Any, speaker: str, text: str) -> None:
    """The note-taker picks the speaker, types, and presses Enter."""
    console.select_option("#speaker", speaker)
    console.fill("#say-text", text)
    console.press("#say-text", "Enter")
    from playwright.sync_api import expect

    expect(console.locator("#utterances .u-text").last).to_have_text(text)


def test_walkthrough(server: LiveServer, browser: Any, shots: Path) -> None:
    from playwright.sync_api import expect

    url = server.url
    created = httpx.post(f"{url}/meetings", json=meeting_body("en"), timeout=60).json()
    mid = created["id"]
    home = f"{url}/m/{mid}"
    errors: list[str] = []
    # Another participant's position, put on the table through the API.
    r = httpx.post(
        f"{url}/meetings/{mid}/positions",
        json={"text": NOOR_POSITION},
        headers=bearer(created["invites"]["noor"]),
        timeout=60,
    )
    assert r.status_code == 201

    # ---- the participant: upload, replace with a file, withdraw, upload again ----
    participant_ctx = browser.new_context(viewport=DESK)
    participant = _page(participant_ctx, errors)
    participant.goto(f"{home}?token={created['invites']['anna']}")
    assert participant.url == home  # the token left the address bar
    assert participant.evaluate("document.cookie") == ""  # HttpOnly: scripts cannot read it
    expect(participant.locator("#no-position")).to_be_visible()
    participant.fill("#position-input", POSITION)
    participant.click("#position-submit")
    expect(participant.locator("#position-text")).to_have_text(POSITION)
    expect(participant.locator("#position-submit")).to_have_text("Replace my position")
    participant.set_input_files(
        "#position-file-input",
        files=[{"name": "position.txt", "mimeType": "text/plain", "buffer": b"From a file."}],
    )
    participant.click("#position-submit")
    expect(participant.locator("#position-text")).to_have_text("From a file.")
    expect(participant.locator("#position-file")).to_contain_text("position.txt")
    participant.once("dialog", lambda d: d.accept())
    participant.click("#withdraw")
    expect(participant.locator("#no-position")).to_be_visible()
    participant.fill("#position-input", POSITION)
    participant.click("#position-submit")
    expect(participant.locator("#position-text")).to_have_text(POSITION)
    participant.reload()
    expect(participant.locator("#position-text")).to_have_text(POSITION)
    assert NOOR_POSITION not in participant.content()  # only their own
    participant.screenshot(path=str(shots / "participant.png"), full_page=True)

    # ---- the facilitator's console, and the room view beside it ----
    facilitator_ctx = browser.new_context(viewport=LAPTOP)
    console = _page(facilitator_ctx, errors)
    console.goto(f"{home}?token={created['facilitator_token']}")
    assert console.url == home
    expect(console.locator("body")).to_have_attribute("data-live", "live")
    expect(console.locator("#headline")).to_contain_text("Step 1")
    expect(console.locator("#positions-count")).to_contain_text("2")
    room = _page(facilitator_ctx, errors)
    room.set_viewport_size(PROJECTOR)
    room.goto(f"{home}/room")
    expect(room.locator("#room-empty")).to_be_visible()

    # Steps: forward with the button, then straight to a step.
    console.click("#step-next")
    expect(console.locator(".step[aria-current=step]")).to_have_attribute("data-step", "frame")
    expect(console.locator("#frame-box")).to_be_visible()
    expect(console.locator("#advice")).to_contain_text("For us, the workload of teachers")
    console.click(".step[data-step=values]")
    expect(console.locator(".step[aria-current=step]")).to_have_attribute("data-step", "values")
    expect(console.locator("#headline")).to_contain_text("Step 3")

    # The note-taker types two parties that agree: the point appears without a reload.
    console.evaluate("window.__sameDocument = true")
    room.evaluate("window.__sameDocument = true")
    _say(console, "anna", STATEMENT)
    _say(console, "noor", REPLY)
    card = console.locator("#agreements .card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text(STATEMENT)
    expect(card).to_contain_text(REPLY)
    expect(card).to_contain_text("Noor Bakker (Studentenraad)")
    expect(room.locator(".room-item")).to_have_count(1)
    expect(room.locator(".room-item")).to_contain_text(REPLY)
    expect(room.locator("#room-empty")).to_be_hidden()
    assert console.evaluate("window.__sameDocument") is True
    assert room.evaluate("window.__sameDocument") is True
    expect(console.locator("body")).to_have_attribute("data-live", "live")

    _say(console, "noor", "We should just cut the travel budget, they never listen to us.")
    expect(console.locator('.signal-group[data-kind="us_them"]')).to_contain_text("they never")
    expect(console.locator('.signal-group[data-kind="speaking_share"] li')).to_have_count(3)
    expect(console.locator("#questions li").first).to_be_visible()

    # A transcript file joins the same transcript.
    console.click("details.import summary")
    console.set_input_files(
        "#import-file",
        files=[
            {
                "name": "part2.txt",
                "mimeType": "text/plain",
                "buffer": b"Anna de Vries: Teachers need time for that.\n"
                b"Noor Bakker: Students notice it when they do not have it.\n",
            }
        ],
    )
    console.click("#import button[type=submit]")
    expect(console.locator("#notice")).to_contain_text("2 utterances imported")
    expect(console.locator("#utterances li")).to_have_count(5)
    console.click("#notice")  # a notice goes away when clicked
    expect(console.locator("#notice")).to_be_hidden()

    console.fill("#consult-q", "Who has not been heard yet?")
    console.click("#consult button[type=submit]")
    expect(console.locator("#consult-answer .answer-text")).not_to_be_empty()

    console.click("#step-next")
    expect(console.locator(".step[aria-current=step]")).to_have_attribute("data-step", "connection")
    expect(console.locator("#headline")).to_contain_text("Step 4")
    console.screenshot(path=str(shots / "console.png"))
    room.screenshot(path=str(shots / "room.png"))

    # What a person says is text, never markup, on every page that shows it.
    _say(console, "pim", '<img src=x onerror="window.__pwned=1">We hear you.')
    assert console.locator("#utterances img").count() == 0
    assert console.evaluate("window.__pwned") is None

    console.click("#step-next")  # the synthesis step writes the synthesis
    expect(console.locator(".step[aria-current=step]")).to_have_attribute("data-step", "synthesis")
    expect(console.locator("#synthesis-box")).to_be_visible()
    expect(console.locator("#advice")).to_contain_text("Synthesis written")

    # ---- the team's review page ----
    review_ctx = browser.new_context(viewport=DESK, accept_downloads=True)
    review = _page(review_ctx, errors)
    review.goto(f"{home}?token={created['reviewer_token']}")
    assert review.url == home
    expect(review.locator(".review-item").first).to_be_visible()
    review.fill("#reviewer-name", "Rosa")
    review.locator("#reviewer-name").dispatch_event("change")

    def item(item_id: str) -> Any:
        return review.locator(f'.review-item[data-id="{item_id}"]')

    agreement_id = review.locator("[data-section=agreements] .review-item").first.get_attribute(
        "data-id"
    )
    assert agreement_id
    evidence = item(agreement_id).locator("details.evidence")
    expect(evidence.locator(".cite").first).to_be_hidden()
    evidence.locator("summary").click()  # one click to the quotes
    expect(evidence.locator(".cite").first).to_be_visible()
    expect(evidence).to_contain_text(STATEMENT)
    expect(evidence).to_contain_text("Anna de Vries")
    item(agreement_id).locator("[data-action=accept]").click()
    expect(item(agreement_id)).to_have_attribute("data-state", "accepted")

    item(agreement_id).locator("[data-action=comment]").click()
    item(agreement_id).locator(".comment-form input").fill("Read this one out at the start.")
    item(agreement_id).locator("[data-action=add-comment]").click()
    expect(item(agreement_id).locator(".comments")).to_contain_text("Read this one out")
    expect(item(agreement_id).locator(".comments")).to_contain_text("Rosa")

    share_id = review.locator("[data-section=participation] .review-item").first.get_attribute(
        "data-id"
    )
    assert share_id
    item(share_id).locator("[data-action=edit]").click()
    edited = "Speaking share: the student council spoke most, the board did not speak."
    item(share_id).locator("textarea.edit-text").fill(edited)
    item(share_id).locator("[data-action=save]").click()
    expect(item(share_id)).to_have_attribute("data-state", "edited")
    expect(item(share_id).locator(".item-text")).to_have_text(edited)
    expect(item(share_id).locator("details.history summary")).to_contain_text("1")

    draft_rules = review.locator("[data-section=frame] .review-item", has_text="Proposed ground")
    rules_id = draft_rules.first.get_attribute("data-id")
    assert rules_id
    rejected_text = item(rules_id).locator(".item-text").inner_text()
    item(rules_id).locator("[data-action=reject]").click()
    expect(item(rules_id)).to_have_attribute("data-state", "rejected")
    expect(review.locator("#progress")).to_contain_text("3 of")
    assert review.locator("#sections img").count() == 0
    assert review.evaluate("window.__pwned") is None
    review.screenshot(path=str(shots / "review.png"), full_page=True)

    # Decide the rest; then the synthesis is approved and the export holds the decisions.
    drafts = review.locator(".review-item[data-state=draft] [data-action=accept]")
    for remaining in range(drafts.count(), 0, -1):
        expect(drafts).to_have_count(remaining)
        drafts.first.click()
    expect(drafts).to_have_count(0)
    expect(review.locator("body")).to_have_attribute("data-approved", "yes")
    expect(review.locator("#progress")).to_contain_text("Approved")
    with review.expect_download() as download:
        review.click("#export-md")
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename.endswith(".md")
    assert edited in markdown and STATEMENT in markdown
    assert rejected_text not in markdown
    with review.expect_download() as download:
        review.click("#export-docx")
    assert download.value.suggested_filename.endswith(".docx")
    assert Path(download.value.path()).read_bytes()[:2] == b"PK"

    # The facilitator shares the approved synthesis; the participant then reads it.
    shared = _page(facilitator_ctx, errors)
    shared.goto(f"{home}/review")
    shared.click("#share")
    expect(shared.locator("#progress")).to_contain_text("Shared with the participants")
    expect(shared.locator("[data-action=accept], [data-action=reopen]")).to_have_count(0)
    participant.reload()
    expect(participant.locator("#shared-items")).to_contain_text(edited)
    expect(participant.locator("#shared-items")).not_to_contain_text("Proposed ground rules")

    for context in (participant_ctx, facilitator_ctx, review_ctx):
        context.close()
    assert not errors, errors
    log = server.log.read_text()
    assert "token=[redacted]" in log
    for token in (
        created["facilitator_token"],
        created["reviewer_token"],
        *created["invites"].values(),
    ):
        assert token not in log


def test_a_dutch_meeting_in_the_browser(server: LiveServer, browser: Any, shots: Path) -> None:
    from playwright.sync_api import expect

    url = server.url
    created = httpx.post(f"{url}/meetings", json=meeting_body("nl"), timeout=60).json()
    home = f"{url}/m/{created['id']}"
    errors: list[str] = []

    participant_ctx = browser.new_context(viewport=DESK)
    participant = _page(participant_ctx, errors)
    participant.goto(f"{home}?token={created['invites']['noor']}")
    expect(participant.locator("html")).to_have_attribute("lang", "nl")
    expect(participant.locator(".intro h2")).to_have_text("Hallo Noor Bakker")
    participant.fill("#position-input", "De studentenraad vraagt om kleinere mentorgroepen.")
    participant.click("#position-submit")
    expect(participant.locator("#notice")).to_have_text("Je standpunt ligt op tafel.")
    participant_ctx.close()

    facilitator_ctx = browser.new_context(viewport=LAPTOP)
    console = _page(facilitator_ctx, errors)
    console.goto(f"{home}?token={created['facilitator_token']}")
    expect(console.locator("body")).to_have_attribute("data-live", "live")
    expect(console.locator("#live")).to_have_text("Live")
    console.click(".step[data-step=connection]")
    expect(console.locator("#headline")).to_contain_text("Stap 4")
    room = _page(facilitator_ctx, errors)
    room.set_viewport_size(PROJECTOR)
    room.goto(f"{home}/room")
    expect(room.locator("h1")).to_have_text("Hier zijn we het over eens")
    _say(console, "anna", STATEMENT_NL)
    _say(console, "noor", REPLY_NL)
    expect(console.locator("#agreements .card")).to_have_count(1)
    expect(console.locator("#agreements .card")).to_contain_text(REPLY_NL)
    expect(room.locator(".room-item")).to_contain_text(REPLY_NL)
    expect(console.locator("#h-agreements")).to_contain_text("Punten van overeenstemming")
    console.screenshot(path=str(shots / "console-nl.png"))
    room.screenshot(path=str(shots / "room-nl.png"))
    facilitator_ctx.close()
    assert not errors, errors
