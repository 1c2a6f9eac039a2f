"""Validate what a reasoner wrote against this meeting, before anything is stored.

The same check for every backend: a citation must point to an utterance or a position
of *this* meeting, name the person who said or wrote it, and quote it verbatim (after
whitespace normalisation). A citation that fails is dropped; an item that rests on
evidence and has none left is dropped as a whole, because an unbacked claim about a
party must not reach the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agent.analysis.text import quote_in
from agent.models import Citation
from agent.synthesis.models import SynthesisDraftItem

# ref ("u12" or "position:p3") -> (participant id, full text)
Sources = Mapping[str, tuple[str, str]]


def citation_valid(c: Citation, sources: Sources) -> bool:
    """True when ``c`` points into ``sources``, names the right person, quotes verbatim."""
    found = sources.get(c.ref)
    return found is not None and found[0] == c.participant and quote_in(c.quote, found[1])


@dataclass
class Grounded:
    items: list[SynthesisDraftItem]
    dropped_items: int
    dropped_citations: int


def ground(items: Sequence[SynthesisDraftItem], sources: Sources) -> Grounded:
    """Keep the valid citations of every item; drop items left without the evidence they need."""
    kept: list[SynthesisDraftItem] = []
    dropped_items = dropped_citations = 0
    for item in items:
        valid = [c for c in item.evidence if citation_valid(c, sources)]
        dropped_citations += len(item.evidence) - len(valid)
        if item.basis == "evidence" and not valid:
            dropped_items += 1
            continue
        kept.append(item.model_copy(update={"evidence": valid}))
    return Grounded(kept, dropped_items, dropped_citations)
