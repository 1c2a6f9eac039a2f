"""Small text utilities shared by the local engine: whitespace, sentences, words."""

from __future__ import annotations

import functools
import re
import unicodedata

_WS = re.compile(r"\s+")
# A sentence ends at . ! ? … followed by space and an upper-case letter, digit or quote.
_SENT_END = re.compile(r"(?<=[.!?…])[\"'”’)]?\s+(?=[\"'“‘(]?[A-ZÀ-ÖØ-Þ0-9])")
# Titles and abbreviations that end in a full stop without ending the sentence.
_ABBREV = re.compile(
    r"(?:^|\s)(?:dr|mr|mrs|ms|mevr|dhr|drs|ir|prof|bijv|o\.a|e\.g|i\.e|etc|nr|vs|St)\.$",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)


@functools.lru_cache(maxsize=20_000)
def normalize_ws(text: str) -> str:
    """Collapse all runs of whitespace to one space and strip the ends."""
    return _WS.sub(" ", text).strip()


def fold(text: str) -> str:
    """Lower-case and strip accents, for matching cues ("níet" matches "niet")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


def split_sentences(text: str) -> list[str]:
    """Split on sentence boundaries, keeping paragraphs apart. Empty pieces are dropped."""
    out: list[str] = []
    for para in re.split(r"\n\s*\n|\n(?=\s*[-*•]\s)", text):
        para = normalize_ws(para)
        if para:
            pieces = [s.strip() for s in _SENT_END.split(para) if s.strip()]
            merged: list[str] = []
            for piece in pieces:
                if merged and _ABBREV.search(merged[-1]):
                    merged[-1] = f"{merged[-1]} {piece}"
                else:
                    merged.append(piece)
            out.extend(merged)
    return out


def words(text: str) -> list[str]:
    """Folded word tokens."""
    return _WORD.findall(fold(text))


def quote_in(quote: str, source: str) -> bool:
    """True when ``quote`` occurs verbatim in ``source`` after whitespace normalisation."""
    q = normalize_ws(quote)
    return bool(q) and q in normalize_ws(source)
