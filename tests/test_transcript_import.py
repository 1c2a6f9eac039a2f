"""Importing whole transcripts: WebVTT (Teams, Zoom), SRT, plain lines, speaker mapping."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer, meeting_body

TEAMS_VTT = """WEBVTT

00:00:01.000 --> 00:00:04.000
<v de Vries, Anna>Voor ons staat de werkdruk van docenten voorop.</v>

00:00:04.000 --> 00:00:06.000
<v de Vries, Anna>Collega's lopen op hun tenen.</v>

00:00:06.500 --> 00:00:09.000
<v Noor Bakker (Gast)>Dat merken wij ook.</v>
"""

ZOOM_VTT = """WEBVTT

1
00:00:01.000 --> 00:00:04.000
Anna de Vries: Voor ons staat de werkdruk voorop.

2
00:00:05.000 --> 00:00:08.000
Noor: Dat merken wij ook.
"""

SRT = """1
00:00:01,000 --> 00:00:04,000
Anna: Voor ons staat de werkdruk voorop.

2
00:00:05,000 --> 00:00:08,000
Noor Bakker: Dat merken wij ook.
"""

PLAIN = "Anna: Voor ons staat de werkdruk voorop.\n\nNoor: Dat merken wij ook.\n"


@pytest.fixture
def meeting(client: TestClient) -> dict[str, Any]:
    return client.post("/meetings", json=meeting_body()).json()


@pytest.mark.parametrize(
    ("filename", "content", "first"),
    [
        (
            "teams.vtt",
            TEAMS_VTT,
            "Voor ons staat de werkdruk van docenten voorop. Collega's lopen op hun tenen.",
        ),
        ("zoom.vtt", ZOOM_VTT, "Voor ons staat de werkdruk voorop."),
        ("meeting.srt", SRT, "Voor ons staat de werkdruk voorop."),
        ("notes.txt", PLAIN, "Voor ons staat de werkdruk voorop."),
    ],
)
def test_each_format_imports_as_one_batch(
    client: TestClient, meeting: dict[str, Any], filename: str, content: str, first: str
) -> None:
    mid, h = meeting["id"], bearer(meeting["facilitator_token"])
    r = client.post(
        f"/meetings/{mid}/transcript", files={"file": (filename, content.encode())}, headers=h
    )
    assert r.status_code == 201, r.text
    got = [(u["speaker"], u["text"]) for u in r.json()]
    assert got == [("anna", first), ("noor", "Dat merken wij ook.")]


def test_unknown_names_are_listed_and_nothing_is_stored(
    client: TestClient, meeting: dict[str, Any]
) -> None:
    mid, h = meeting["id"], bearer(meeting["facilitator_token"])
    text = "Anna: Eén.\nKees Smit: Twee.\nPiet: Drie.\nKees Smit: Vier."
    r = client.post(f"/meetings/{mid}/transcript", json={"text": text}, headers=h)
    assert r.status_code == 422
    assert "'Kees Smit', 'Piet'" in r.json()["detail"]
    assert client.get(f"/meetings/{mid}/utterances", headers=h).json() == []


def test_explicit_mapping_resolves_unknown_names(
    client: TestClient, meeting: dict[str, Any]
) -> None:
    mid, h = meeting["id"], bearer(meeting["facilitator_token"])
    text = "Anna: Eén.\nKees Smit: Twee."
    r = client.post(
        f"/meetings/{mid}/transcript",
        json={"text": text, "mapping": {"Kees Smit": "pim"}},
        headers=h,
    )
    assert r.status_code == 201, r.text
    assert [u["speaker"] for u in r.json()] == ["anna", "pim"]
    r = client.post(
        f"/meetings/{mid}/transcript",
        json={"text": text, "mapping": {"Kees Smit": "nobody"}},
        headers=h,
    )
    assert r.status_code == 422 and "nobody" in r.json()["detail"]


def test_broken_files_get_a_clear_error(client: TestClient, meeting: dict[str, Any]) -> None:
    mid, h = meeting["id"], bearer(meeting["facilitator_token"])
    r = client.post(
        f"/meetings/{mid}/transcript",
        files={"file": ("x.vtt", b"WEBVTT\n\nnonsense -->")},
        headers=h,
    )
    assert r.status_code == 422
    r = client.post(
        f"/meetings/{mid}/transcript", files={"file": ("x.txt", b"\xff\xfe\x00garbage")}, headers=h
    )
    assert r.status_code == 422 and "UTF-8" in r.json()["detail"]
    r = client.post(f"/meetings/{mid}/transcript", json={"text": "geen spreker hier"}, headers=h)
    assert r.status_code == 422 and "Name: text" in r.json()["detail"]
    r = client.post(
        f"/meetings/{mid}/transcript",
        content=b"Anna: x",
        headers={**h, "content-type": "text/plain"},
    )
    assert r.status_code == 415


def test_only_the_facilitator_imports(client: TestClient, meeting: dict[str, Any]) -> None:
    mid = meeting["id"]
    r = client.post(
        f"/meetings/{mid}/transcript",
        json={"text": PLAIN},
        headers=bearer(meeting["reviewer_token"]),
    )
    assert r.status_code == 403
