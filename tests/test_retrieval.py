"""The position index: chunking, meeting scope, the per-author cap, durability, the
network that is never used, and the optional OpenAI-compatible endpoint."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from typer.testing import CliRunner

from agent.analysis.text import quote_in
from agent.errors import ConfigurationError, ModelError
from agent.models import MeetingCreate, PositionOut
from agent.positions import chunk_text, paragraphs, sentence_spans
from agent.retrieval import (
    E5_NAME,
    OPENAI_NAME,
    E5EmbeddingFunction,
    Hit,
    OpenAICompatibleEmbeddingFunction,
    PositionIndex,
    cap_per_author,
    collection_name,
    embedding_function,
)
from agent.service import MeetingService, open_service
from agent.settings import Settings
from tests.conftest import meeting_body
from tests.test_positions import ANNA, NOOR

ROOT = Path(__file__).resolve().parents[1]

LONG = "\n\n".join(
    f"Over de werkdruk van docenten, punt {i}: het lesrooster is te vol en de werkdruk loopt op."
    for i in range(1, 13)
)


def _pos(pid: str, who: str, text: str) -> PositionOut:
    return PositionOut(id=pid, participant=who, text=text)


@pytest.fixture
def index(tmp_path: Path) -> Any:
    idx = PositionIndex(tmp_path / "chroma", E5EmbeddingFunction(), chunk_chars=200)
    idx.open()
    yield idx
    idx.close()


# ---- chunking -----------------------------------------------------------------------------------


def test_chunks_are_verbatim_spans_cut_at_sentence_ends() -> None:
    text = (
        "# Werkdruk\n\nDe OR vindt de werkdruk te hoog. Docenten  lopen\nop hun tandvlees. "
        "Dr. Jansen zei dat al.\n\nWat wij vragen:\n- Meer assistenten\n- Minder vergaderen\n\n"
        "Dank u wel.\n\nGraag gedaan.\n\n" + "Een heel lange zin zonder einde " * 30
    )
    chunks = chunk_text(text, target_chars=80)
    sentences = sentence_spans(text)
    starts = {s.start for s in sentences}
    ends = {s.end for s in sentences}
    long_start = text.index("Een heel lange")
    for c in chunks:
        assert quote_in(c.text, text)
        assert " ".join(text[c.start : c.end].split()) == c.text
        assert len(c.text) <= 2 * 80
        if c.start < long_start:  # only the overlong sentence is cut inside
            assert c.start in starts and c.end in ends, c
    assert chunks[0].text.startswith("# Werkdruk De OR vindt")  # heading stays with its text
    assert any("Wat wij vragen: - Meer assistenten - Minder vergaderen" in c.text for c in chunks)
    assert "Dr. Jansen zei dat al." in " ".join(c.text for c in chunks)  # no cut after "Dr."
    assert any(c.text == "Dank u wel. Graag gedaan." for c in chunks)  # short lines share
    assert not any("vergaderen Dank" in c.text for c in chunks)  # two full chunks do not
    assert len(chunks) >= 6  # the overlong sentence was cut at word boundaries
    paras = paragraphs(text)
    assert paras[0].text == "# Werkdruk"


# ---- the index ----------------------------------------------------------------------------------


def test_collection_and_embedding_function_are_ours(index: PositionIndex) -> None:
    index.index_position("m1", _pos("p1", "anna", ANNA))
    col = index.client.get_collection(collection_name("m1"))  # no function passed
    conf = col.configuration_json["embedding_function"]
    assert conf["name"] == E5_NAME and conf["type"] == "known"
    assert col.configuration_json["hnsw"]["space"] == "cosine"
    # chromadb rebuilds our registered function from the stored config for query_texts
    res = col.query(query_texts=["werkdruk"], n_results=1)
    assert res["metadatas"][0][0]["position_id"] == "p1"
    assert not E5EmbeddingFunction().is_legacy()


def test_search_is_scoped_to_one_meeting(index: PositionIndex) -> None:
    index.index_position("m1", _pos("p1", "anna", ANNA))
    index.index_position("m2", _pos("p1", "anna", "Werkdruk van docenten, in een ander overleg."))
    hits = index.search("m1", "werkdruk docenten", k=10, per_author=10)
    assert hits and all("ander overleg" not in h.text for h in hits)
    assert index.search("m3", "werkdruk", k=3) == []
    # a hit that claims another meeting is dropped even if a collection were shared
    res = {
        "documents": [["x"]],
        "metadatas": [[{"meeting_id": "m2", "position_id": "p9", "participant": "x"}]],
        "distances": [[0.1]],
    }
    assert PositionIndex._hits("m1", res) == []


def test_per_author_cap_keeps_other_voices(index: PositionIndex) -> None:
    index.index_position("m1", _pos("p1", "pim", LONG))
    index.index_position("m1", _pos("p2", "noor", NOOR))
    assert len(index.chunk_ids("m1", "p1")) >= 6
    hits = index.search("m1", "werkdruk docenten lesrooster", k=4, per_author=2)
    assert [h.participant for h in hits].count("pim") == 2
    assert {h.participant for h in hits} == {"pim", "noor"}
    uncapped = index.search("m1", "werkdruk docenten lesrooster", k=4, per_author=10)
    assert [h.participant for h in uncapped] == ["pim"] * 4  # what the cap prevents


def test_cap_per_author_in_order() -> None:
    hits = [Hit("p1", a, "", 0, 0, 0, "t", 1.0 - i / 10) for i, a in enumerate("aaabab")]
    assert [h.participant for h in cap_per_author(hits, 3, 2)] == ["a", "a", "b"]


def test_removed_position_leaves_no_vectors(index: PositionIndex) -> None:
    index.index_position("m1", _pos("p1", "anna", ANNA))
    index.index_position("m1", _pos("p2", "noor", NOOR))
    col = index.client.get_collection(collection_name("m1"))
    old = col.get(where={"position_id": "p1"}, include=["embeddings"])
    assert len(old["ids"]) >= 2
    assert index.remove_position("m1", "p1") == len(old["ids"])
    assert col.get(where={"position_id": "p1"}, include=["embeddings"])["ids"] == []
    assert col.count() == len(index.chunk_ids("m1", "p2"))
    # searching with the removed vectors themselves finds only what is left
    for vec in old["embeddings"]:
        res = col.query(query_embeddings=[np.asarray(vec)], n_results=10)
        assert all(m["position_id"] == "p2" for m in res["metadatas"][0])


def test_stale_collections_are_detected(index: PositionIndex) -> None:
    positions = [_pos("p1", "anna", ANNA), _pos("p2", "noor", NOOR)]
    for p in positions:
        index.index_position("m1", p)
    assert index.stale_reason("m1", positions) is None
    changed = [_pos("p1", "anna", ANNA + " Extra zin."), positions[1]]
    assert index.stale_reason("m1", changed) == "positions differ from the store"
    col = index.client.get_collection(collection_name("m1"))
    col.delete(ids=[index.chunk_ids("m1", "p2")[0]])
    assert index.stale_reason("m1", positions) == "chunks missing"
    # a collection made with chromadb's default function is never trusted
    index.client.delete_collection(collection_name("m1"))
    index.client.create_collection(collection_name("m1"), metadata={"meeting_id": "m1"})
    assert "embedding function 'default'" in str(index.stale_reason("m1", positions))
    report = index.ensure(lambda: {"m1": positions})
    assert report.rebuilt_meetings == 1
    assert index.stale_reason("m1", positions) is None


# ---- durability through the service ---------------------------------------------------------


async def _meeting_with_positions(service: MeetingService) -> str:
    mid = (await service.create_meeting(MeetingCreate.model_validate(meeting_body()))).id
    await service.add_position(mid, "anna", ANNA)
    await service.add_position(mid, "noor", NOOR)
    return mid


def test_rebuild_after_deleting_the_index_directory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path / "data")

    async def scenario() -> None:
        async with open_service(settings) as service:
            mid = await _meeting_with_positions(service)
            assert service.index is not None
            before = sorted(service.index.chunk_ids(mid))
            first = [p.quote for p in await service.retrieve(mid, "huisvesting", 2)]
        shutil.rmtree(settings.chroma_path)
        with caplog.at_level(logging.WARNING, logger="agent.retrieval"):
            async with open_service(settings) as service:
                assert service.index is not None
                assert sorted(service.index.chunk_ids(mid)) == before
                assert [p.quote for p in await service.retrieve(mid, "huisvesting", 2)] == first
        assert any("position index missing" in r.getMessage() for r in caplog.records)

    asyncio.run(scenario())


def test_corrupt_index_is_rebuilt_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path / "data")

    async def scenario() -> None:
        async with open_service(settings) as service:
            mid = await _meeting_with_positions(service)
        (settings.chroma_path / "chroma.sqlite3").write_bytes(b"dit is geen database " * 500)
        with caplog.at_level(logging.WARNING, logger="agent.retrieval"):
            async with open_service(settings) as service:
                hits = await service.retrieve(mid, "werkdruk van docenten", 1)
                assert hits[0].participant == "anna"
        assert any("is corrupt" in r.getMessage() for r in caplog.records)

    asyncio.run(scenario())


def test_out_of_step_index_is_repaired_at_start_and_on_retrieval(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path / "data")

    async def scenario() -> None:
        async with open_service(settings) as service:
            mid = await _meeting_with_positions(service)
            assert service.index is not None
            # lose Noor's chunks behind the service's back: retrieval notices nothing
            # wrong with what it finds, so start-up must catch it
            service.index.remove_position(mid, "p2")
        with caplog.at_level(logging.WARNING, logger="agent.retrieval"):
            async with open_service(settings) as service:
                assert service.index is not None
                assert service.index.chunk_ids(mid, "p2")
                # now an index that returns a chunk of a position the store no longer has
                service.index.index_position(mid, _pos("p9", "pim", "Werkdruk, werkdruk."))
                hits = await service.retrieve(mid, "werkdruk", 5, per_author=5)
                assert hits and all(h.position_id in {"p1", "p2"} for h in hits)
                assert service.index.chunk_ids(mid, "p9") == []  # repaired on the spot
        assert any("out of date (positions differ" in r.getMessage() for r in caplog.records)
        assert any("out of step with the store" in r.getMessage() for r in caplog.records)

    asyncio.run(scenario())


def test_a_failing_search_repairs_the_index(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with open_service(Settings(data_dir=tmp_path / "data")) as service:
            mid = await _meeting_with_positions(service)
            assert service.index is not None
            # behind the service's back: a collection with chromadb's default function
            service.index.client.delete_collection(collection_name(mid))
            service.index.client.create_collection(
                collection_name(mid), metadata={"meeting_id": mid}
            )
            hits = await service.retrieve(mid, "betaalbare huisvesting", 1)
            assert hits[0].participant == "noor"
            assert service.index.stale_reason(mid, service.list_positions(mid)) is None

    asyncio.run(scenario())


def test_withdrawn_position_leaves_no_chunks_through_the_service(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with open_service(Settings(data_dir=tmp_path / "data")) as service:
            mid = await _meeting_with_positions(service)
            assert service.index is not None
            assert service.index.chunk_ids(mid, "p2")
            await service.withdraw_position(mid, "noor")
            assert service.index.chunk_ids(mid, "p2") == []
            pos, old = await service.replace_position(mid, "anna", "Alleen kwaliteit telt.")
            assert old == "p1" and service.index.chunk_ids(mid, "p1") == []
            assert service.index.chunk_ids(mid) == [f"{pos.id}:0"]

    asyncio.run(scenario())


def test_reindex_command_rebuilds_from_the_store(tmp_path: Path) -> None:
    from rondetafel.cli import app

    data = tmp_path / "data"

    async def make() -> str:
        async with open_service(Settings(data_dir=data)) as service:
            return await _meeting_with_positions(service)

    mid = asyncio.run(make())
    (data / "chroma" / "chroma.sqlite3").write_bytes(b"kapot")
    result = CliRunner().invoke(app, ["reindex", "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    assert "2 position(s) in 1 meeting(s)" in result.output
    idx = PositionIndex(data / "chroma", E5EmbeddingFunction())
    try:
        assert {i.split(":")[0] for i in idx.chunk_ids(mid)} == {"p1", "p2"}
    finally:
        idx.close()


# ---- the network is never used ---------------------------------------------------------------

_NO_NETWORK = """
import os, socket, sys
def _blocked(*args, **kwargs):
    raise OSError("network blocked by the test")
socket.socket.connect = _blocked
socket.socket.connect_ex = _blocked
socket.create_connection = _blocked
socket.getaddrinfo = _blocked

import asyncio, shutil
from pathlib import Path
from agent.models import MeetingCreate
from agent.service import open_service
from agent.settings import Settings
from tests.conftest import meeting_body

data = Path(sys.argv[1])

async def main():
    settings = Settings(data_dir=data)
    async with open_service(settings) as service:
        mid = (await service.create_meeting(MeetingCreate.model_validate(meeting_body()))).id
        await service.add_position(mid, "anna", "De werkdruk van docenten is te hoog.")
        await service.add_position(mid, "noor", "Studenten willen betaalbare huisvesting.")
        hits = await service.retrieve(mid, "housing", 1)
        assert hits[0].participant == "noor", hits
        await service.replace_position(mid, "anna", "Docenten lopen op hun tandvlees.")
        await service.withdraw_position(mid, "noor")
    shutil.rmtree(settings.chroma_path)
    async with open_service(settings) as service:  # rebuilt from the store, offline
        hits = await service.retrieve(mid, "tandvlees", 1)
        assert hits[0].participant == "anna", hits
        col = service.index.client.get_collection(f"positions-{mid}")
        assert col.query(query_texts=["docenten"], n_results=1)["ids"][0]
    # nothing looked for chromadb's default model: it keeps it under ~/.cache/chroma
    assert not (Path.home() / ".cache" / "chroma").exists()
    # the control: chromadb's default model would download, and cannot
    from chromadb.utils.embedding_functions import DefaultEmbeddingFunction
    try:
        DefaultEmbeddingFunction()(["x"])
    except Exception as exc:
        print("default model blocked:", type(exc).__name__)
    else:
        raise SystemExit("the default model ran: it must not be on this machine's path")
    print("OFFLINE OK")

asyncio.run(main())
"""


@pytest.mark.slow
def test_index_and_search_with_the_network_blocked(tmp_path: Path) -> None:
    script = tmp_path / "offline.py"
    script.write_text(textwrap.dedent(_NO_NETWORK), encoding="utf-8")
    home = tmp_path / "home"  # an empty home: no cached chromadb model to fall back on
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "OMP_NUM_THREADS": "1",
        "RONDETAFEL_EMBEDDINGS_BASE_URL": "",
    }
    env.pop("RONDETAFEL_DATA_DIR", None)
    proc = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "data")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "default model blocked" in proc.stdout and "OFFLINE OK" in proc.stdout


# ---- the OpenAI-compatible endpoint ------------------------------------------------------------


def _fake_vector(text: str) -> list[float]:
    """Bag of words hashed into 64 dimensions: texts sharing words are close."""
    vec = np.zeros(64, dtype=np.float32)
    for word in text.lower().split():
        vec[int(hashlib.md5(word.strip(".,:").encode()).hexdigest(), 16) % 64] += 1.0
    return vec.tolist()


class FakeEndpoint:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail:
            return httpx.Response(503, json={"error": {"message": "down"}})
        body = json.loads(request.content)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {"object": "embedding", "index": i, "embedding": _fake_vector(t)}
            for i, t in reversed(list(enumerate(inputs)))  # out of order on purpose
        ]
        return httpx.Response(
            200,
            json={
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            },
        )


def _openai_ef(endpoint: FakeEndpoint) -> OpenAICompatibleEmbeddingFunction:
    return OpenAICompatibleEmbeddingFunction(
        base_url="http://embeddings.test/v1",
        model="e5-test",
        api_key="sk-test",
        http_client=httpx.Client(transport=httpx.MockTransport(endpoint)),
    )


def test_openai_compatible_endpoint_indexes_and_searches(tmp_path: Path) -> None:
    endpoint = FakeEndpoint()
    idx = PositionIndex(tmp_path / "chroma", _openai_ef(endpoint), chunk_chars=200)
    try:
        idx.index_position("m1", _pos("p1", "anna", ANNA))
        idx.index_position("m1", _pos("p2", "noor", NOOR))
        hits = idx.search("m1", "betaalbare huisvesting rond de campus", k=1)
        assert hits[0].participant == "noor"
        req = endpoint.requests[0]
        assert req.url.path == "/v1/embeddings"
        assert req.headers["authorization"] == "Bearer sk-test"
        assert json.loads(req.content)["model"] == "e5-test"
        col = idx.client.get_collection(collection_name("m1"), embedding_function=idx.ef)
        conf = col.configuration_json["embedding_function"]
        assert conf["name"] == OPENAI_NAME and "sk-test" not in json.dumps(conf)
        # an index made with another embedding function is stale: it would mix spaces
        local = PositionIndex(tmp_path / "chroma", E5EmbeddingFunction())
        local._client = idx.client
        assert "expected 'rondetafel-e5-small'" in str(
            local.stale_reason("m1", [_pos("p1", "anna", ANNA), _pos("p2", "noor", NOOR)])
        )
    finally:
        idx.close()


def test_openai_endpoint_failure_is_a_model_error() -> None:
    ef = _openai_ef(FakeEndpoint(fail=True))
    with pytest.raises(ModelError, match="embeddings endpoint"):
        ef(["werkdruk"])


def test_embedding_function_follows_settings(tmp_path: Path) -> None:
    assert isinstance(embedding_function(Settings(data_dir=tmp_path)), E5EmbeddingFunction)
    ef = embedding_function(
        Settings(
            data_dir=tmp_path,
            embeddings_base_url="http://localhost:11434/v1",
            embeddings_model="nomic-embed-text",
            embeddings_api_key="geheim",  # type: ignore[arg-type]
        )
    )
    assert isinstance(ef, OpenAICompatibleEmbeddingFunction)
    assert ef.get_config() == {
        "base_url": "http://localhost:11434/v1",
        "model": "nomic-embed-text",
        "timeout": 30.0,
    }
    with pytest.raises(ConfigurationError):
        embedding_function(Settings(data_dir=tmp_path, embeddings_base_url="http://x/v1"))
