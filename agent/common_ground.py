"""Possible common ground before anyone speaks: concerns that several parties wrote down.

Only a *possible* common ground: two positions that worry about the same thing may still
want opposite things, so the agent shows it as a lead for the frame and values steps,
never as an agreement. A shared concern needs, between sentences of two different
parties, all three of:

- closeness in meaning (centred cosine of the bundled embeddings);
- a shared concern word (see :func:`agent.positions.concern_entries`);
- the same polarity (:func:`agent.analysis.polarity.same_polarity`): "de werkdruk moet
  omlaag" and "de werkdruk is geen probleem" share a word and a topic, not a view.

Each item cites one sentence of each party's own position, verbatim.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agent.analysis.polarity import same_polarity
from agent.analysis.questions import stem
from agent.analysis.text import fold, words
from agent.embeddings import Embedder
from agent.models import Citation, PositionOut, SuggestionItem
from agent.positions import ConcernEntry, concern_entries
from agent.prompts import load_yaml, render
from agent.roster import Roster

MAX_ITEMS = 5
# Stricter than the digest's CONCERN_SIMILARITY: the digest only says "this party wrote
# about it too", common ground says "perhaps you agree". Looked over by hand on the
# positions of evals/scenarios: below this, shared words were mostly coincidences
# ("on paper" / "the local paper").
COMMON_GROUND_SIMILARITY = 0.53
# A concern that most parties wrote about is the best common ground there is, so words
# may be shared by more positions here than in the digest; the setting ("hogeschool")
# is kept out by ``not_concerns`` and the meeting's own title and parties.
SPECIFIC_SHARE = 0.6
_CACHE_SIZE = 64
_cache: dict[tuple[object, ...], list[SharedConcern]] = {}


@dataclass(frozen=True)
class Voice:
    """One party's sentence about a shared concern."""

    party: str
    participant: str
    position_id: str
    quote: str


@dataclass(frozen=True)
class SharedConcern:
    """A concern that positions of two or more parties share, in their own words."""

    label: str
    voices: list[Voice]  # one per party, strongest link first
    strength: float  # mean similarity of the links that tie the voices together

    @property
    def parties(self) -> list[str]:
        return [v.party for v in self.voices]


def shared_concerns(
    positions: Sequence[PositionOut], roster: Roster, embedder: Embedder
) -> list[SharedConcern]:
    """The concerns shared across parties' positions, most widely shared first.

    Positions change rarely and advice is given after every utterance, so the result is
    kept per set of positions (their ids and texts) and meeting set-up.
    """
    key = (
        roster.language,
        roster.topic.title,
        roster.topic.goal,
        tuple(sorted(roster.parties.items())),
        tuple(sorted((p.id, p.participant, hash(p.text)) for p in positions)),
    )
    if key not in _cache:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = _shared_concerns(positions, roster, embedder)
    return _cache[key]


def _shared_concerns(
    positions: Sequence[PositionOut], roster: Roster, embedder: Embedder
) -> list[SharedConcern]:
    entries = concern_entries(positions, roster, embedder, specific_share=SPECIFIC_SHARE)
    lang = roster.language
    # concern word -> party -> (similarity, entry, sentence index)
    by_word: dict[str, dict[str, tuple[float, ConcernEntry, int]]] = {}
    sims_of: dict[str, list[float]] = {}
    for a_idx, a in enumerate(entries):
        for b in entries[a_idx + 1 :]:
            if a.party == b.party:
                continue
            sims = a.vecs @ b.vecs.T
            for i, j in zip(*np.nonzero(sims >= COMMON_GROUND_SIMILARITY), strict=True):
                shared = a.words[i] & b.words[j]
                if not shared or not same_polarity(a.sentences[i], b.sentences[j], lang):
                    continue
                sim = float(sims[i, j])
                for w in shared:
                    parties = by_word.setdefault(w, {})
                    for entry, k in ((a, int(i)), (b, int(j))):
                        if entry.party not in parties or sim > parties[entry.party][0]:
                            parties[entry.party] = (sim, entry, k)
                    sims_of.setdefault(w, []).append(sim)
    groups: list[tuple[set[tuple[str, str]], list[Voice], list[str], float]] = []
    ranked = sorted(
        by_word.items(),
        key=lambda kv: (-len(kv[1]), -float(np.mean(sims_of[kv[0]])), kv[0]),
    )
    for word, parties in ranked:
        voices = [
            Voice(e.party, e.position.participant, e.position.id, e.sentences[k])
            for _sim, e, k in sorted(parties.values(), key=lambda t: -t[0])
        ]
        quotes = {(v.position_id, v.quote) for v in voices}
        # Two words of the same sentences ("werkdruk", "docenten") are one concern,
        # named by both.
        same = next((g for g in groups if quotes <= g[0] or g[0] <= quotes), None)
        if same is not None:
            same[2].append(word)
            continue
        if len(groups) < MAX_ITEMS:
            groups.append((quotes, voices, [word], round(float(np.mean(sims_of[word])), 3)))
    return [
        SharedConcern(_label(stems, [v.quote for v in voices], lang), voices, strength)
        for _quotes, voices, stems, strength in groups
    ]


def _label(stems: list[str], quotes: list[str], language: str) -> str:
    """Up to two shared words, as written and in the order of the first quote."""
    first = fold(quotes[0])

    def where(word: str) -> int:
        at = first.find(fold(word))
        return at if at >= 0 else len(first)

    surfaces = sorted(dict.fromkeys(_surface(w, quotes, language) for w in stems), key=where)
    pair = " ".join(surfaces[:2])
    # "teaching assistants": two words that stand together are one name for the concern
    return pair if fold(pair) in first else ", ".join(surfaces[:2])


def _surface(stem_word: str, sentences: list[str], language: str) -> str:
    """The word as the participants wrote it (the first form found), for the label."""
    for sentence in sentences:
        for token in words(sentence):
            if stem(token, language) == stem_word:
                # Keep the writer's own spelling: find the token in the original text.
                for raw in sentence.split():
                    if fold(raw.strip(".,;:!?()\"'“”‘’")) == token:
                        return raw.strip(".,;:!?()\"'“”‘’")
                return token
    return stem_word


def common_ground_items(
    positions: Sequence[PositionOut], roster: Roster, embedder: Embedder
) -> list[SuggestionItem]:
    """The shared concerns as suggestion items, each citing every party's own sentence."""
    texts = load_yaml("positions.yaml")[roster.language]
    items = []
    for c in shared_concerns(positions, roster, embedder):
        names = ", ".join(roster.party_name(p) for p in c.parties)
        items.append(
            SuggestionItem(
                kind="common_ground",
                text=render(texts["common_ground"], label=c.label, parties=names),
                citations=[
                    Citation(position_id=v.position_id, participant=v.participant, quote=v.quote)
                    for v in c.voices
                ],
            )
        )
    return items
