"""The store: schema versioning, atomic batches, token hashing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from agent.errors import Conflict, InvalidInput, SchemaVersionError
from agent.models import MeetingCreate, UtteranceIn
from agent.store import repo
from agent.store import tables as t
from agent.store.db import SCHEMA_VERSION, Database
from tests.conftest import meeting_body


def _db(tmp_path: Path) -> Database:
    return Database(f"sqlite:///{tmp_path / 'r.db'}")


def test_new_database_records_schema_version(tmp_path: Path) -> None:
    db = _db(tmp_path)
    with db.session() as s:
        assert s.get(t.SchemaMeta, "version").value == str(SCHEMA_VERSION)


def test_newer_schema_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    _db(tmp_path).dispose()
    with sqlite3.connect(tmp_path / "r.db") as conn:
        conn.execute("UPDATE schema_meta SET value='99' WHERE key='version'")
    with pytest.raises(SchemaVersionError, match="newer Rondetafel"):
        _db(tmp_path)


def test_unversioned_database_is_refused(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "r.db") as conn:
        conn.execute("CREATE TABLE meetings (id TEXT)")
    with pytest.raises(SchemaVersionError, match="no schema version"):
        _db(tmp_path)


def test_older_schema_is_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.store import db as dbmod

    _db(tmp_path).dispose()
    with sqlite3.connect(tmp_path / "r.db") as conn:
        conn.execute("UPDATE schema_meta SET value='0' WHERE key='version'")
    ran: list[int] = []
    monkeypatch.setitem(dbmod.MIGRATIONS, 0, lambda conn: ran.append(0))
    db = _db(tmp_path)
    assert ran == [0]
    with db.session() as s:
        assert s.get(t.SchemaMeta, "version").value == str(SCHEMA_VERSION)


def test_tokens_are_stored_hashed(tmp_path: Path) -> None:
    db = _db(tmp_path)
    with db.session() as s:
        created = repo.create_meeting(s, MeetingCreate.model_validate(meeting_body()))
    with db.session() as s:
        hashes = set(s.scalars(select(t.Token.token_hash)))
        assert created.facilitator_token not in hashes
        assert repo.hash_token(created.facilitator_token) in hashes
        who = repo.resolve_token(s, created.invites["anna"])
        assert who is not None and who.role == "participant" and who.participant_id == "anna"


def test_bad_batch_leaves_nothing_behind(tmp_path: Path) -> None:
    db = _db(tmp_path)
    with db.session() as s:
        mid = repo.create_meeting(s, MeetingCreate.model_validate(meeting_body())).id
    with pytest.raises(InvalidInput, match="ghost"), db.session() as s:
        repo.add_utterances(
            s, mid, [UtteranceIn(speaker="anna", text="a"), UtteranceIn(speaker="ghost", text="b")]
        )
    with pytest.raises(Conflict), db.session() as s:
        repo.add_utterances(
            s,
            mid,
            [
                UtteranceIn(speaker="anna", text="a", id="k"),
                UtteranceIn(speaker="noor", text="b", id="k"),
            ],
        )
    with db.session() as s:
        assert repo.list_utterances(s, mid) == []
        assert repo.get_meeting_row(s, mid).next_seq == 1


def test_generated_ids_skip_ids_clients_took(tmp_path: Path) -> None:
    db = _db(tmp_path)
    with db.session() as s:
        mid = repo.create_meeting(s, MeetingCreate.model_validate(meeting_body())).id
        repo.add_utterances(s, mid, [UtteranceIn(speaker="anna", text="a", id="u2")])
        out = repo.add_utterances(s, mid, [UtteranceIn(speaker="noor", text="b")])
    assert out[0].id == "u2-2"
