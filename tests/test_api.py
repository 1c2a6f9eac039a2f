"""The meeting API through TestClient: happy paths, bad input, and the role matrix."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer, meeting_body


@pytest.fixture
def meeting(client: TestClient) -> dict[str, Any]:
    r = client.post("/meetings", json=meeting_body())
    assert r.status_code == 201, r.text
    return r.json()


def test_create_and_get_meeting(client: TestClient, meeting: dict[str, Any]) -> None:
    assert set(meeting["invites"]) == {"henk", "anna", "noor", "pim"}
    assert (
        len({meeting["facilitator_token"], meeting["reviewer_token"], *meeting["invites"].values()})
        == 6
    )
    r = client.get(f"/meetings/{meeting['id']}", headers=bearer(meeting["facilitator_token"]))
    assert r.status_code == 200
    body = r.json()
    assert body["step"] == "start"
    assert [p["id"] for p in body["parties"]] == ["cvb", "or", "sr"]
    assert {p["id"]: p["role"] for p in body["participants"]}["henk"] == "facilitator"


def test_utterances_get_ordered_ids_and_keep_client_ids(
    client: TestClient, meeting: dict[str, Any]
) -> None:
    mid, h = meeting["id"], bearer(meeting["facilitator_token"])
    r = client.post(
        f"/meetings/{mid}/utterances", json={"speaker": "anna", "text": "Werkdruk telt."}, headers=h
    )
    assert r.status_code == 201, r.text
    assert [u["id"] for u in r.json()] == ["u1"]
    r = client.post(
        f"/meetings/{mid}/utterances",
        json={
            "items": [
                {"speaker": "noor", "text": "Begeleiding telt."},
                {"speaker": "pim", "text": "Eens met Noor.", "id": "mine-1"},
            ]
        },
        headers=h,
    )
    assert [u["id"] for u in r.json()] == ["u2", "mine-1"]
    listed = client.get(f"/meetings/{mid}/utterances", headers=h).json()
    assert [u["id"] for u in listed] == ["u1", "u2", "mine-1"]
    assert [u["seq"] for u in listed] == [1, 2, 3]
    page = client.get(f"/meetings/{mid}/utterances?after=u1&limit=1", headers=h).json()
    assert [u["id"] for u in page] == ["u2"]


def test_duplicate_client_id_is_a_conflict_and_stores_nothing(
    client: TestClient, meeting: dict[str, Any]
) -> None:
    mid, h = meeting["id"], bearer(meeting["facilitator_token"])
    client.post(
        f"/meetings/{mid}/utterances", json={"speaker": "anna", "text": "a", "id": "x1"}, headers=h
    )
    r = client.post(
        f"/meetings/{mid}/utterances",
        json={
            "items": [
                {"speaker": "noor", "text": "b"},
                {"speaker": "noor", "text": "c", "id": "x1"},
            ]
        },
        headers=h,
    )
    assert r.status_code == 409
    assert "x1" in r.json()["detail"]
    assert len(client.get(f"/meetings/{mid}/utterances", headers=h).json()) == 1


def test_failed_batch_stores_none_and_names_unknown_speaker(
    client: TestClient, meeting: dict[str, Any]
) -> None:
    mid, h = meeting["id"], bearer(meeting["facilitator_token"])
    r = client.post(
        f"/meetings/{mid}/utterances",
        json={
            "items": [{"speaker": "anna", "text": "Goed."}, {"speaker": "ghost", "text": "Boe."}]
        },
        headers=h,
    )
    assert r.status_code == 422
    assert "ghost" in r.json()["detail"]
    assert client.get(f"/meetings/{mid}/utterances", headers=h).json() == []


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"to": "lunch"}, "lunch"),
        ({}, "to"),
    ],
)
def test_bad_step_names_what_is_wrong(
    client: TestClient, meeting: dict[str, Any], body: dict[str, Any], needle: str
) -> None:
    r = client.post(
        f"/meetings/{meeting['id']}/step", json=body, headers=bearer(meeting["facilitator_token"])
    )
    assert r.status_code == 422
    assert needle in r.json()["detail"]


def test_malformed_json_and_missing_fields(client: TestClient, meeting: dict[str, Any]) -> None:
    mid, h = meeting["id"], bearer(meeting["facilitator_token"])
    r = client.post(
        f"/meetings/{mid}/utterances",
        content=b'{"speaker": "anna", "text": ',
        headers={**h, "content-type": "application/json"},
    )
    assert r.status_code == 422
    assert "malformed JSON" in r.json()["detail"]
    r = client.post(f"/meetings/{mid}/utterances", json={"speaker": "anna"}, headers=h)
    assert r.status_code == 422
    assert "text" in r.json()["detail"]
    bad = meeting_body()
    del bad["topic"]["kind"]
    r = client.post("/meetings", json=bad)
    assert r.status_code == 422
    assert "topic.kind" in r.json()["detail"]
    bad = meeting_body()
    bad["participants"][1]["party"] = "nobody"
    r = client.post("/meetings", json=bad)
    assert r.status_code == 422
    assert "nobody" in r.json()["detail"]


def test_oversized_body_is_413_before_parsing(client: TestClient, meeting: dict[str, Any]) -> None:
    mid, h = meeting["id"], bearer(meeting["facilitator_token"])
    huge = b'{"speaker": "anna", "text": "' + b"x" * 300_000 + b'"}'
    r = client.post(
        f"/meetings/{mid}/utterances",
        content=huge,
        headers={**h, "content-type": "application/json"},
    )
    assert r.status_code == 413
    assert "limit" in r.json()["detail"]

    def chunks():  # no content-length: the streamed count must catch it
        for _ in range(30):
            yield b"x" * 10_000

    r = client.post(
        f"/meetings/{mid}/utterances",
        content=chunks(),
        headers={**h, "content-type": "application/json"},
    )
    assert r.status_code == 413
    assert client.get(f"/meetings/{mid}/utterances", headers=h).json() == []


def test_suggestions_consult_and_views(client: TestClient, meeting: dict[str, Any]) -> None:
    mid, h = meeting["id"], bearer(meeting["facilitator_token"])
    sug = client.get(f"/meetings/{mid}/suggestions", headers=h).json()
    assert sug["step"] == "start"
    assert sug["topic"]["suitable"] is True
    client.post(f"/meetings/{mid}/step", json={"to": "values"}, headers=h)
    client.post(
        f"/meetings/{mid}/utterances",
        json={
            "items": [
                {"speaker": "anna", "text": "Voor ons staat de werkdruk van docenten voorop."},
                {
                    "speaker": "noor",
                    "text": "Dat merken wij ook: goede begeleiding van studenten staat voorop.",
                },
            ]
        },
        headers=h,
    )
    sug = client.get(f"/meetings/{mid}/suggestions", headers=h).json()
    assert sug["step"] == "values"
    assert client.get(f"/meetings/{mid}", headers=h).json()["step"] == "values"
    r = client.post(
        f"/meetings/{mid}/consult", json={"question": "Wie is nog niet gehoord?"}, headers=h
    )
    assert r.status_code == 200
    assert r.json()["answer"]
    for path in ("agreements", "signals", "values"):
        assert client.get(f"/meetings/{mid}/{path}", headers=h).status_code == 200
    assert client.get("/health").json()["backend"] == "local"


# ---- the role x route matrix -------------------------------------------------------------

ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/meetings/{id}", None),
    ("POST", "/meetings/{id}/utterances", {"speaker": "anna", "text": "Hallo."}),
    ("GET", "/meetings/{id}/utterances", None),
    ("POST", "/meetings/{id}/step", {"to": "frame"}),
    ("GET", "/meetings/{id}/suggestions", None),
    ("POST", "/meetings/{id}/consult", {"question": "Waar zijn we het over eens?"}),
    ("GET", "/meetings/{id}/agreements", None),
    ("GET", "/meetings/{id}/signals", None),
    ("GET", "/meetings/{id}/values", None),
    ("POST", "/meetings/{id}/positions", {"text": "Mijn standpunt."}),
    ("GET", "/meetings/{id}/positions", None),
    ("PUT", "/meetings/{id}/frame", {"text": "We redeneren vanuit het geheel."}),
]

ALLOWED = {
    "facilitator": {0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11},
    "reviewer": {0, 2, 4, 6, 7, 8, 10},
    "participant": {0, 9, 10},
}


@pytest.mark.parametrize("route", range(len(ROUTES)), ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_role_route_matrix(client: TestClient, route: int) -> None:
    method, template, body = ROUTES[route]
    mine = client.post("/meetings", json=meeting_body()).json()
    other = client.post("/meetings", json=meeting_body()).json()
    tokens = {
        "facilitator": mine["facilitator_token"],
        "reviewer": mine["reviewer_token"],
        "participant": mine["invites"]["anna"],
    }
    path = template.format(id=mine["id"])
    assert client.request(method, path, json=body).status_code == 401
    assert client.request(method, path, json=body, headers=bearer("not-a-token")).status_code == 401
    for role, token in tokens.items():
        r = client.request(method, path, json=body, headers=bearer(token))
        if route in ALLOWED[role]:
            assert r.status_code in (200, 201), (role, r.status_code, r.text)
        else:
            assert r.status_code == 403, (role, r.status_code, r.text)
        # A token of this meeting never reveals another meeting, whatever the role.
        r = client.request(
            method, template.format(id=other["id"]), json=body, headers=bearer(token)
        )
        assert r.status_code == 404, (role, r.status_code)
    r = client.request(
        method,
        template.format(id="does-not-exist"),
        json=body,
        headers=bearer(tokens["facilitator"]),
    )
    assert r.status_code == 404


def test_participant_sees_only_own_position(client: TestClient, meeting: dict[str, Any]) -> None:
    mid = meeting["id"]
    client.post(
        f"/meetings/{mid}/positions",
        json={"text": "Anna vindt werkdruk belangrijk."},
        headers=bearer(meeting["invites"]["anna"]),
    )
    client.post(
        f"/meetings/{mid}/positions",
        json={"text": "Noor vindt begeleiding belangrijk."},
        headers=bearer(meeting["invites"]["noor"]),
    )
    own = client.get(
        f"/meetings/{mid}/positions", headers=bearer(meeting["invites"]["anna"])
    ).json()
    assert [p["participant"] for p in own] == ["anna"]
    everything = client.get(
        f"/meetings/{mid}/positions", headers=bearer(meeting["facilitator_token"])
    ).json()
    assert {p["participant"] for p in everything} == {"anna", "noor"}


def test_recorded_frame_is_part_of_the_meeting(client: TestClient, meeting: dict[str, Any]) -> None:
    mid, h = meeting["id"], bearer(meeting["facilitator_token"])
    assert client.get(f"/meetings/{mid}", headers=h).json()["frame"] is None
    text = "We redeneren vanuit de school als geheel en besluiten vandaag niets."
    r = client.put(f"/meetings/{mid}/frame", json={"text": text}, headers=h)
    assert r.status_code == 200
    assert client.get(f"/meetings/{mid}", headers=h).json()["frame"] == text
    r = client.put(f"/meetings/{mid}/frame", json={"text": ""}, headers=h)
    assert r.status_code == 422 and "text" in r.json()["detail"]
