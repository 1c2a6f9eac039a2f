"""The synthesis end to end: generation from a meeting, review through the API, regeneration
after reviews, sharing, exports read back, the role matrix, and validation of what a
backend writes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from fastapi.testclient import TestClient

from agent.analysis.text import quote_in
from agent.models import Citation, MeetingCreate
from agent.reasoner.base import MeetingView
from agent.reasoner.local import LocalReasoner
from agent.service import MeetingService, open_service
from agent.settings import Settings
from agent.synthesis.models import ItemPatch, SynthesisDraftItem
from tests.conftest import bearer, meeting_body

TRANSCRIPT: list[tuple[str, str]] = [
    ("step", "frame"),
    (
        "henk",
        "Ik stel voor dat we redeneren vanuit het belang van de hele organisatie en dat "
        "iedereen iedereen mag bevragen.",
    ),
    ("step", "values"),
    ("anna", "Voor ons staat de werkdruk van docenten voorop."),
    ("noor", "Dat merken wij ook: als een docent uitvalt, valt de begeleiding van studenten weg."),
    ("noor", "Anna, wat bedoel je precies met werkdruk?"),
    ("anna", "Vooral de lesuren en de administratie naast het lesgeven."),
    ("step", "connection"),
    ("noor", "Ik vind dat studenten zelf moeten kunnen kiezen of ze online les volgen."),
    ("anna", "Ik vind niet dat studenten zelf moeten kunnen kiezen of ze online les volgen."),
    ("henk", "Over online onderwijs verschillen we nog van mening; dat blijft een open punt."),
    ("henk", "Ik stuur jullie volgende week de cijfers per opleiding."),
    ("noor", "Pim, hoe kijkt de ondernemingsraad naar de roosters?"),
]
NEXT_STEP = "Ik stuur jullie volgende week de cijfers per opleiding."
OPEN_POINT = "Over online onderwijs verschillen we nog van mening; dat blijft een open punt."
UNANSWERED = "Pim, hoe kijkt de ondernemingsraad naar de roosters?"


class Meeting:
    """A meeting on the test client, with its tokens and helpers."""

    def __init__(self, client: TestClient) -> None:
        self.c = client
        created = client.post("/meetings", json=meeting_body()).json()
        self.id: str = created["id"]
        self.f = bearer(created["facilitator_token"])
        self.r = bearer(created["reviewer_token"])
        self.p = bearer(created["invites"]["anna"])
        self.url = f"/meetings/{self.id}"

    def feed(self, transcript: list[tuple[str, str]]) -> None:
        for who, text in transcript:
            if who == "step":
                r = self.c.post(f"{self.url}/step", json={"to": text}, headers=self.f)
            else:
                r = self.c.post(
                    f"{self.url}/utterances", json={"speaker": who, "text": text}, headers=self.f
                )
            assert r.status_code in (200, 201), r.text

    def generate(self) -> dict[str, Any]:
        r = self.c.post(f"{self.url}/synthesis", headers=self.f)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def synthesis(self, headers: dict[str, str] | None = None) -> dict[str, Any]:
        r = self.c.get(f"{self.url}/synthesis", headers=headers or self.f)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def item(self, quote: str) -> dict[str, Any]:
        """The first item citing ``quote``."""
        for it in self.synthesis()["items"]:
            if any(e["quote"] == quote for e in it["evidence"]):
                return it
        raise AssertionError(f"no item cites {quote!r}")

    def section(self, name: str) -> list[dict[str, Any]]:
        return [it for it in self.synthesis()["items"] if it["section"] == name]

    def patch(
        self, item_id: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> Any:
        return self.c.patch(
            f"{self.url}/synthesis/items/{item_id}", json=body, headers=headers or self.r
        )

    def decide_all(self) -> None:
        for it in self.synthesis()["items"]:
            if it["state"] == "draft":
                assert self.patch(it["id"], {"state": "accepted"}).status_code == 200


@pytest.fixture
def meeting(client: TestClient) -> Meeting:
    m = Meeting(client)
    m.feed(TRANSCRIPT)
    return m


# ---- generation ------------------------------------------------------------------------------


def test_synthesis_has_every_section_and_every_quote_is_verbatim(meeting: Meeting) -> None:
    report = meeting.generate()
    assert report["generation"] == 1 and report["added"] and report["conflicts"] == []
    assert report["dropped_items"] == 0 and report["dropped_citations"] == 0
    body = meeting.synthesis()
    assert body["approved"] is False and body["shared"] is False and body["generated"] is True
    sections = [it["section"] for it in body["items"]]
    # Sections come in the report's order.
    order = ["frame", "values", "agreements", "differences", "open_questions", "next_steps"]
    order += ["participation"]
    assert sections == sorted(sections, key=order.index)
    for name in ("frame", "values", "open_questions", "next_steps", "participation"):
        assert name in sections, name
    texts = {
        u["id"]: (u["speaker"], u["text"])
        for u in meeting.c.get(f"{meeting.url}/utterances?limit=1000", headers=meeting.f).json()
    }
    for it in body["items"]:
        assert it["state"] == "draft" and it["comments"] == [] and it["history"] == []
        if it["basis"] == "evidence":
            assert it["evidence"], it
        for e in it["evidence"]:
            assert e["utterance_id"] in texts, e  # no positions in this meeting
            speaker, text = texts[e["utterance_id"]]
            assert e["participant"] == speaker and quote_in(e["quote"], text), e


def test_next_steps_are_only_those_voiced_with_their_quote(meeting: Meeting) -> None:
    meeting.generate()
    steps = meeting.section("next_steps")
    assert [[e["quote"] for e in it["evidence"]] for it in steps] == [[NEXT_STEP]]
    assert NEXT_STEP in steps[0]["text"] and "Henk Jansen" in steps[0]["text"]


def test_open_questions_and_participation(meeting: Meeting) -> None:
    meeting.generate()
    open_quotes = [e["quote"] for it in meeting.section("open_questions") for e in it["evidence"]]
    assert OPEN_POINT in open_quotes
    assert UNANSWERED in open_quotes  # Pim never answered
    # Noor's question to Anna was answered at once, so it is not open.
    assert "Anna, wat bedoel je precies met werkdruk?" not in open_quotes
    participation = meeting.section("participation")
    assert participation[0]["basis"] == "counts"
    assert all(p in participation[0]["text"] for p in ("Ondernemingsraad", "Studentenraad", "%"))
    questioning = [it["text"] for it in participation[1:]]
    assert "Noor Bakker stelde Anna de Vries 1 vraag/vragen." in questioning
    assert "Noor Bakker stelde Pim de Boer 1 vraag/vragen." in questioning


def test_the_frame_says_proposed_until_the_frame_is_recorded(meeting: Meeting) -> None:
    meeting.generate()
    goal, rules = meeting.section("frame")
    assert "Samen de uitgangspunten verkennen" in goal["text"] and goal["basis"] == "record"
    assert "niet als afgesproken vastgelegd" in rules["text"]
    assert rules["evidence"][0]["utterance_id"] == "u1"


def test_moving_to_the_synthesis_step_writes_the_synthesis(meeting: Meeting) -> None:
    r = meeting.c.post(f"{meeting.url}/step", json={"to": "synthesis"}, headers=meeting.f)
    assert r.status_code == 200
    assert r.json()["items"][0]["kind"] == "synthesis"
    body = meeting.synthesis()
    assert body["generations"] == 1 and body["items"]


def test_english_meeting_gets_an_english_synthesis(client: TestClient) -> None:
    m = Meeting.__new__(Meeting)
    m.c = client
    created = client.post("/meetings", json=meeting_body("en")).json()
    m.id, m.f = created["id"], bearer(created["facilitator_token"])
    m.url = f"/meetings/{m.id}"
    m.feed(
        [
            ("step", "connection"),
            ("anna", "Teachers' workload comes first for us."),
            ("noor", "I'll send the student survey to everyone next week."),
        ]
    )
    m.generate()
    body = m.synthesis()
    assert body["language"] == "en"
    texts = " ".join(it["text"] for it in body["items"])
    assert "Goal of the meeting" in texts and "Speaking share per party" in texts
    assert any("I'll send the student survey" in it["text"] for it in m.section("next_steps"))


# ---- review ------------------------------------------------------------------------------------


def test_accept_edit_reject_comment_and_history(meeting: Meeting) -> None:
    meeting.generate()
    step = meeting.item(NEXT_STEP)
    r = meeting.patch(step["id"], {"state": "accepted", "by": "Els"})
    assert r.status_code == 200 and r.json()["state"] == "accepted"
    new_text = "Henk stuurt volgende week de cijfers per opleiding."
    r = meeting.patch(step["id"], {"text": new_text, "by": "Els", "comment": "Korter."})
    assert r.status_code == 200, r.text
    edited = r.json()
    assert edited["state"] == "edited" and edited["text"] == new_text
    assert edited["evidence"] == step["evidence"]  # an edit keeps the citations
    assert [c["text"] for c in edited["comments"]] == ["Korter."]
    assert edited["comments"][0]["role"] == "reviewer" and edited["comments"][0]["by"] == "Els"
    accept, edit = edited["history"]
    assert (accept["action"], accept["from_state"], accept["to_state"]) == (
        "state",
        "draft",
        "accepted",
    )
    assert edit["action"] == "edit" and edit["previous_text"] == step["text"]
    assert edit["text"] == new_text and edit["by"] == "Els" and edit["role"] == "reviewer"
    assert edit["at"]
    # The facilitator reviews too.
    share = meeting.section("participation")[0]
    r = meeting.patch(share["id"], {"state": "rejected"}, headers=meeting.f)
    assert r.status_code == 200 and r.json()["history"][0]["role"] == "facilitator"
    r = meeting.patch(share["id"], {"comment": "Zegt weinig."}, headers=meeting.f)
    assert r.status_code == 200 and r.json()["state"] == "rejected"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (["accepted"], {"state": "rejected"}),
        (["accepted"], {"state": "accepted"}),
        (["rejected"], {"state": "accepted"}),
        (["rejected"], {"text": "Toch opnemen."}),
        (["rejected"], {"state": "rejected"}),
        ([], {"state": "draft"}),
        (["edited"], {"state": "accepted"}),
        (["edited"], {"state": "rejected"}),
    ],
    ids=lambda v: "-".join(v) if isinstance(v, list) else str(v),
)
def test_invalid_transitions_are_409_and_change_nothing(
    meeting: Meeting, path: list[str], body: dict[str, Any]
) -> None:
    meeting.generate()
    item = meeting.item(NEXT_STEP)
    for state in path:
        move = {"text": "Bewerkte tekst."} if state == "edited" else {"state": state}
        assert meeting.patch(item["id"], move).status_code == 200
    before = meeting.item(item["evidence"][0]["quote"])
    r = meeting.patch(item["id"], body)
    assert r.status_code == 409, r.text
    assert "cannot move" in r.json()["detail"]
    after = meeting.item(item["evidence"][0]["quote"])
    assert after == before


def test_reopen_then_decide_again(meeting: Meeting) -> None:
    meeting.generate()
    item = meeting.item(NEXT_STEP)
    for state in ("rejected", "draft", "accepted", "draft", "rejected"):
        r = meeting.patch(item["id"], {"state": state})
        assert r.status_code == 200 and r.json()["state"] == state
    assert len(r.json()["history"]) == 5


def test_bad_review_requests(meeting: Meeting) -> None:
    meeting.generate()
    item = meeting.item(NEXT_STEP)
    assert meeting.patch(item["id"], {}).status_code == 422
    assert meeting.patch(item["id"], {"state": "edited"}).status_code == 422
    r = meeting.patch(item["id"], {"text": item["text"]})
    assert r.status_code == 422 and "same" in r.json()["detail"]
    assert meeting.patch("s-nope", {"state": "accepted"}).status_code == 404
    r = meeting.patch(item["id"], {"resolve": "keep"})
    assert r.status_code == 409 and "no conflict" in r.json()["detail"]


def test_approval_sharing_and_what_participants_see(meeting: Meeting) -> None:
    meeting.generate()
    url = f"{meeting.url}/synthesis"
    assert meeting.c.get(url, headers=meeting.p).status_code == 403
    r = meeting.c.post(f"{url}/share", headers=meeting.f)
    assert r.status_code == 409 and "not approved" in r.json()["detail"]
    step = meeting.item(NEXT_STEP)
    share = meeting.section("participation")[0]
    meeting.patch(share["id"], {"state": "rejected", "comment": "Intern."})
    meeting.patch(step["id"], {"text": "Henk stuurt de cijfers per opleiding."})
    meeting.decide_all()
    assert meeting.synthesis()["approved"] is True
    # Approved but not shared: participants still wait.
    assert meeting.c.get(url, headers=meeting.p).status_code == 403
    r = meeting.c.post(f"{url}/share", headers=meeting.f)
    assert r.status_code == 200 and r.json()["shared"] is True
    seen = meeting.synthesis(meeting.p)
    assert seen["approved"] and seen["shared"]
    assert {it["state"] for it in seen["items"]} <= {"accepted", "edited"}
    assert share["id"] not in {it["id"] for it in seen["items"]}
    assert all(it["comments"] == [] and it["history"] == [] for it in seen["items"])
    # Shared means frozen: no review changes, no regeneration; comments still welcome.
    assert meeting.patch(step["id"], {"state": "draft"}).status_code == 409
    assert meeting.c.post(url, headers=meeting.f).status_code == 409
    assert meeting.patch(step["id"], {"comment": "Mooi zo."}).status_code == 200
    # Unsharing hides it again and unfreezes it.
    assert meeting.c.delete(f"{url}/share", headers=meeting.f).status_code == 200
    assert meeting.c.get(url, headers=meeting.p).status_code == 403
    assert meeting.patch(step["id"], {"state": "draft"}).status_code == 200


# ---- regeneration after reviews -----------------------------------------------------------------


def test_regeneration_adds_and_updates_drafts_and_reports_conflicts(meeting: Meeting) -> None:
    meeting.generate()
    share = meeting.section("participation")[0]
    step = meeting.item(NEXT_STEP)
    open_point = meeting.item(OPEN_POINT)
    unanswered = meeting.item(UNANSWERED)
    assert meeting.patch(share["id"], {"state": "accepted"}).status_code == 200
    assert meeting.patch(step["id"], {"text": "Henk stuurt de cijfers."}).status_code == 200
    assert meeting.patch(open_point["id"], {"state": "rejected"}).status_code == 200
    before = {it["id"]: it for it in meeting.synthesis()["items"]}

    more = "Ik ga na of de roosters voor de zomer klaar kunnen zijn."
    meeting.feed([("pim", "De OR wil eerst de roosters zien. " + more)])
    report = meeting.generate()
    assert report["generation"] == 2
    after = {it["id"]: it for it in meeting.synthesis()["items"]}

    # A new finding is a new draft item.
    new_step = meeting.item(more)
    assert new_step["id"] in report["added"] and new_step["state"] == "draft"
    # Reviewed items are untouched.
    for iid in (share["id"], step["id"], open_point["id"]):
        for field in ("text", "state", "evidence", "history"):
            assert after[iid][field] == before[iid][field], (iid, field)
    # The speaking share changed with Pim's turn: reported as a conflict, not applied.
    conflicts = {c["item_id"]: c for c in report["conflicts"]}
    assert set(conflicts) == {share["id"]}
    assert conflicts[share["id"]]["kind"] == "changed"
    assert conflicts[share["id"]]["proposed_text"] != share["text"]
    assert after[share["id"]]["conflict"]["kind"] == "changed"
    # Pim answered at last, so the open question is no longer found; it was an untouched
    # draft, so it is removed rather than reported.
    assert unanswered["id"] in report["removed"] and unanswered["id"] not in after
    assert report["approved"] is False


def test_resolving_a_conflict_keep_then_adopt(meeting: Meeting) -> None:
    meeting.generate()
    share = meeting.section("participation")[0]
    meeting.patch(share["id"], {"state": "accepted"})
    meeting.feed([("pim", "De OR wil eerst de roosters zien.")])
    meeting.generate()
    r = meeting.patch(share["id"], {"resolve": "keep", "by": "Els"})
    assert r.status_code == 200, r.text
    kept = r.json()
    assert kept["conflict"] is None and kept["text"] == share["text"]
    assert kept["state"] == "accepted" and kept["history"][-1]["action"] == "keep"
    # The same finding again is no conflict any more.
    assert meeting.generate()["conflicts"] == []
    # A further change is; adopting it takes the agent's text back to draft.
    meeting.feed([("anna", "Wij ook, de roosters zijn voor ons belangrijk.")])
    report = meeting.generate()
    proposed = report["conflicts"][0]["proposed_text"]
    r = meeting.patch(share["id"], {"resolve": "adopt"})
    assert r.status_code == 200
    adopted = r.json()
    assert adopted["text"] == proposed and adopted["state"] == "draft"
    assert adopted["history"][-1]["previous_text"] == share["text"]
    assert meeting.patch(share["id"], {"resolve": "adopt"}).status_code == 409


# ---- exports through the API -------------------------------------------------------------------


def test_exports_draft_then_approved(meeting: Meeting) -> None:
    meeting.generate()
    url = f"{meeting.url}/synthesis/export"
    r = meeting.c.get(f"{url}?format=md", headers=meeting.r)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/markdown")
    assert "-draft.md" in r.headers["content-disposition"]
    assert "CONCEPT" in r.text and NEXT_STEP in r.text
    open_point = meeting.item(OPEN_POINT)
    meeting.patch(open_point["id"], {"state": "rejected"})
    assert OPEN_POINT not in meeting.c.get(f"{url}?format=md", headers=meeting.r).text
    step = meeting.item(NEXT_STEP)
    meeting.patch(step["id"], {"text": "Henk stuurt de cijfers per opleiding."})
    meeting.decide_all()
    kept = [it for it in meeting.synthesis()["items"] if it["state"] in ("accepted", "edited")]

    md = meeting.c.get(f"{url}?format=md", headers=meeting.f).text
    assert "CONCEPT" not in md
    bullets = [line[2:] for line in md.splitlines() if line.startswith("- ")]
    assert len(bullets) == len(kept)
    assert any(b.startswith("Henk stuurt de cijfers per opleiding.") for b in bullets)

    r = meeting.c.get(f"{url}?format=docx", headers=meeting.f)
    assert r.status_code == 200 and "wordprocessingml" in r.headers["content-type"]
    doc = Document(io.BytesIO(r.content))
    items = [
        p.text for p in doc.paragraphs if p.style is not None and p.style.name == "List Bullet"
    ]
    assert len(items) == len(kept)
    for it, text in zip(kept, items, strict=True):
        assert text.startswith(it["text"])
    assert OPEN_POINT not in "\n".join(p.text for p in doc.paragraphs)
    assert doc.sections[0].header.paragraphs[0].text == ""

    assert meeting.c.get(f"{url}?format=pdf", headers=meeting.f).status_code == 422


def test_export_before_generation_is_a_conflict(client: TestClient) -> None:
    m = Meeting(client)
    r = client.get(f"{m.url}/synthesis/export?format=md", headers=m.f)
    assert r.status_code == 409
    body = m.synthesis()
    assert body == {**body, "generated": False, "approved": False, "items": []}


# ---- roles -------------------------------------------------------------------------------------

ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/meetings/{id}/synthesis", None),
    ("GET", "/meetings/{id}/synthesis", None),
    ("PATCH", "/meetings/{id}/synthesis/items/{item}", {"comment": "Ziet er goed uit."}),
    ("GET", "/meetings/{id}/synthesis/export?format=md", None),
    ("GET", "/meetings/{id}/synthesis/export?format=docx", None),
    ("POST", "/meetings/{id}/synthesis/share", None),
    ("DELETE", "/meetings/{id}/synthesis/share", None),
]
# Before sharing. Participants get 403 on reading too, until approved and shared.
ALLOWED = {
    "facilitator": {0, 1, 2, 3, 4, 5, 6},
    "reviewer": {1, 2, 3, 4},
    "participant": set(),
}


@pytest.fixture
def approved_pair(client: TestClient) -> Iterator[tuple[Meeting, Meeting, str]]:
    mine, other = Meeting(client), Meeting(client)
    mine.feed(TRANSCRIPT[:4])
    mine.generate()
    mine.decide_all()
    item_id = mine.synthesis()["items"][0]["id"]
    yield mine, other, item_id


@pytest.mark.parametrize("route", range(len(ROUTES)), ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_role_route_matrix(approved_pair: tuple[Meeting, Meeting, str], route: int) -> None:
    mine, other, item_id = approved_pair
    c = mine.c
    method, template, body = ROUTES[route]
    path = template.format(id=mine.id, item=item_id)
    assert c.request(method, path, json=body).status_code == 401
    assert c.request(method, path, json=body, headers=bearer("not-a-token")).status_code == 401
    for role, headers in (("facilitator", mine.f), ("reviewer", mine.r), ("participant", mine.p)):
        r = c.request(method, path, json=body, headers=headers)
        if route in ALLOWED[role]:
            assert r.status_code == 200, (role, r.status_code, r.text)
        else:
            assert r.status_code == 403, (role, r.status_code, r.text)
        # A token of this meeting never reveals another meeting, whatever the role.
        r = c.request(
            method, template.format(id=other.id, item=item_id), json=body, headers=headers
        )
        assert r.status_code == 404, (role, r.status_code)
    r = c.request(
        method, template.format(id="does-not-exist", item=item_id), json=body, headers=mine.f
    )
    assert r.status_code == 404


def test_participants_read_and_export_once_shared(
    approved_pair: tuple[Meeting, Meeting, str],
) -> None:
    mine, _, _ = approved_pair
    assert mine.c.post(f"{mine.url}/synthesis/share", headers=mine.f).status_code == 200
    for path in ("/synthesis", "/synthesis/export?format=md", "/synthesis/export?format=docx"):
        assert mine.c.get(mine.url + path, headers=mine.p).status_code == 200, path
    # Still no reviewing or generating for a participant.
    item_id = mine.synthesis()["items"][0]["id"]
    assert mine.patch(item_id, {"comment": "Hoi"}, headers=mine.p).status_code == 403
    assert mine.c.post(f"{mine.url}/synthesis", headers=mine.p).status_code == 403


# ---- what a backend writes is validated before it is stored ------------------------------------


class ScriptedReasoner(LocalReasoner):
    """The local reasoner, except that the synthesis is whatever the test puts in ``drafts``."""

    name = "scripted"

    def __init__(self) -> None:
        self.drafts: list[SynthesisDraftItem] = []

    async def write_synthesis(self, view: MeetingView) -> list[SynthesisDraftItem]:
        return list(self.drafts)


@pytest.fixture
async def scripted(tmp_path: Path) -> Any:
    reasoner = ScriptedReasoner()
    async with open_service(Settings(data_dir=tmp_path / "data"), reasoner=reasoner) as service:
        yield service, reasoner


async def _meeting(service: MeetingService) -> str:
    from agent.models import UtteranceIn

    mid = (await service.create_meeting(MeetingCreate.model_validate(meeting_body()))).id
    await service.add_utterances(
        mid,
        [
            UtteranceIn(id="u1", speaker="anna", text="Voor ons staat de werkdruk voorop."),
            UtteranceIn(id="u2", speaker="noor", text="Voor ons ook, de werkdruk is te hoog."),
        ],
    )
    return mid


def _cite(uid: str, who: str, quote: str) -> Citation:
    return Citation(utterance_id=uid, participant=who, quote=quote)


async def test_ungrounded_output_is_dropped_before_it_is_stored(scripted: Any) -> None:
    service, reasoner = scripted
    mid = await _meeting(service)
    other = await _meeting(service)
    reasoner.drafts = [
        SynthesisDraftItem(
            key="agreement:ok",
            section="agreements",
            text="Werkdruk telt voor beide partijen.",
            evidence=[
                _cite("u1", "anna", "de werkdruk voorop"),
                _cite("u2", "noor", "iedereen is het eens"),  # not said
            ],
        ),
        SynthesisDraftItem(
            key="agreement:invented",
            section="agreements",
            text="Iedereen wil bezuinigen.",
            evidence=[_cite("u2", "anna", "de werkdruk is te hoog")],  # wrong speaker
        ),
        SynthesisDraftItem(
            key="next:elsewhere",
            section="next_steps",
            text="Iets uit een andere vergadering.",
            evidence=[_cite("u9", "anna", "werkdruk")],  # no such utterance here
        ),
    ]
    report = await service.generate_synthesis(mid)
    assert report.dropped_items == 2 and report.dropped_citations == 3
    items = service.get_synthesis(mid).items
    assert [it.text for it in items] == ["Werkdruk telt voor beide partijen."]
    assert [c.quote for c in items[0].evidence] == ["de werkdruk voorop"]
    assert service.get_synthesis(other).items == []  # nothing leaked into another meeting


async def test_a_reviewed_item_the_agent_no_longer_finds_is_reported_gone(scripted: Any) -> None:
    service, reasoner = scripted
    mid = await _meeting(service)
    a = SynthesisDraftItem(
        key="agreement:a",
        section="agreements",
        text="Werkdruk telt.",
        evidence=[_cite("u1", "anna", "de werkdruk voorop"), _cite("u2", "noor", "de werkdruk")],
    )
    b = a.model_copy(update={"key": "agreement:b", "text": "Een tweede punt."})
    reasoner.drafts = [a, b]
    await service.generate_synthesis(mid)
    ids = {it.text: it.id for it in service.get_synthesis(mid).items}
    await service.review_synthesis_item(
        mid, ids["Werkdruk telt."], ItemPatch(state="accepted"), "reviewer"
    )
    reasoner.drafts = []
    report = await service.generate_synthesis(mid)
    assert [(c.item_id, c.kind) for c in report.conflicts] == [(ids["Werkdruk telt."], "gone")]
    assert report.removed == [ids["Een tweede punt."]]
    kept = await service.review_synthesis_item(
        mid, ids["Werkdruk telt."], ItemPatch(resolve="keep"), "reviewer"
    )
    assert kept.conflict is None and kept.state == "accepted"
    assert (await service.generate_synthesis(mid)).conflicts == []
    # Adopting "nothing" is not possible; the item stays until someone rejects it.
    reasoner.drafts = [a.model_copy(update={"text": "Werkdruk telt zwaar."})]
    report = await service.generate_synthesis(mid)
    assert [c.kind for c in report.conflicts] == ["changed"]
