"""Engine, sessions and the schema version check.

The store refuses to open a database it cannot read safely: one written by a newer
Rondetafel, or one with tables but no version record. Older versions are migrated in
order through :data:`MIGRATIONS`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, insert, inspect, select, update
from sqlalchemy.orm import Session, sessionmaker

from agent.errors import SchemaVersionError
from agent.store.tables import Base, SchemaMeta

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

# version N -> function that upgrades a version-N database to N+1.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {}


class Database:
    """One SQLAlchemy engine plus a session factory, checked against the schema version."""

    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.url = url
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._ensure_schema()

    def _ensure_schema(self) -> None:
        tables = set(inspect(self.engine).get_table_names())
        with self.engine.begin() as conn:
            if not tables:
                Base.metadata.create_all(conn)
                conn.execute(insert(SchemaMeta).values(key="version", value=str(SCHEMA_VERSION)))
                return
            if "schema_meta" not in tables:
                raise SchemaVersionError(
                    f"{self.url}: the database has tables but no schema version; it was not "
                    "written by Rondetafel or predates versioning. Refusing to read it."
                )
            row = conn.execute(
                select(SchemaMeta.value).where(SchemaMeta.key == "version")
            ).scalar_one_or_none()
            version = int(row) if row is not None else 0
            if version > SCHEMA_VERSION:
                raise SchemaVersionError(
                    f"{self.url}: schema version {version} was written by a newer Rondetafel; "
                    f"this one reads up to version {SCHEMA_VERSION}. Upgrade Rondetafel."
                )
            while version < SCHEMA_VERSION:
                migrate = MIGRATIONS.get(version)
                if migrate is None:
                    raise SchemaVersionError(
                        f"{self.url}: no migration from schema version {version}."
                    )
                log.warning("migrating %s from schema version %d", self.url, version)
                migrate(conn)
                version += 1
                conn.execute(
                    update(SchemaMeta).where(SchemaMeta.key == "version").values(value=str(version))
                )
            # New tables of the current version that an older file may lack.
            Base.metadata.create_all(conn)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self._sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    # WAL lets the API read while a write is in flight; foreign keys are off by default.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
