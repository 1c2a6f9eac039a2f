"""Per-utterance features: computed once when an utterance arrives, then cached.

Everything later steps need from one utterance is here, so the cost of a new utterance
does not depend on how long the meeting already is.
"""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from agent.analysis import polarity, solution_talk, us_them
from agent.analysis.injection import looks_like_instruction
from agent.analysis.questions import content_stems
from agent.analysis.text import split_sentences
from agent.embeddings import Embedder
from agent.models import UtteranceOut
from agent.prompts import load_yaml
from agent.roster import Roster
from agent.values.classifier import get_classifier


@dataclass
class Features:
    """What the local engine knows about one utterance. JSON-serialisable via ``asdict``."""

    id: str
    seq: int
    speaker: str
    party: str
    step: str
    facilitator: bool
    sentences: list[str]
    question_only: bool
    asks: bool  # at least one sentence is a question
    stance: str
    agree_cue: bool  # opens the turn by agreeing with what was just said
    consensus_cue: bool  # agrees further on in the turn ("... daar zijn we het over eens")
    echo_cue: bool
    contrast: bool
    sarcasm: bool
    negations: int
    injection: bool
    solution: str | None
    us_them: list[str]
    mentions_people: list[str]
    mentions_parties: list[str]
    stems: list[str]
    # (sentence index, value id, margin): each sentence's strongest value, if any
    values: list[tuple[int, str, float]] = field(default_factory=list)

    @property
    def disagreeing(self) -> bool:
        return self.stance == "disagree" or self.contrast or self.sarcasm

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Features:
        data = dict(data)
        data["values"] = [tuple(v) for v in data.get("values", [])]
        data.setdefault("consensus_cue", False)
        data.setdefault("asks", any(x.rstrip().endswith("?") for x in data["sentences"]))
        return cls(**data)


@functools.cache
def _echo_patterns(language: str) -> tuple[re.Pattern[str], ...]:
    lex = load_yaml("lexicons/agreement.yaml")["echo"]
    return tuple(re.compile(p, re.IGNORECASE) for p in lex.get(language, []))


OPENING_WORDS = 6  # words before an agreement cue for it to open the turn
ECHO_WORDS = 10  # an echo ("wij ook", "same here") opens a turn; later it is content


def _echoes(first_sentence: str, language: str) -> bool:
    """Does the turn open by saying the same holds for the speaker?"""
    opening = " ".join(first_sentence.split()[:ECHO_WORDS])
    return any(p.search(opening) for p in _echo_patterns(language))


@functools.cache
def centering_vector(embedder: Embedder) -> np.ndarray:
    """Mean embedding of generic meeting talk; subtracted before comparing utterances."""
    return embedder.passages(load_yaml("lexicons/agreement.yaml")["centering"]).mean(axis=0)


def centred(vec: np.ndarray, embedder: Embedder) -> np.ndarray:
    """Centre and re-normalise a vector so cosine similarity spreads over [-1, 1]."""
    x = vec - centering_vector(embedder)
    n = float(np.linalg.norm(x))
    return x / n if n else x


def sentences_of(text: str) -> list[str]:
    """The sentences of an utterance as :func:`analyse` embeds them."""
    return split_sentences(text) or [text.strip()]


@dataclass(frozen=True)
class TextReading:
    """What one utterance's words say, before any vector: cheap, and free of the model."""

    sentences: list[str]
    reading: polarity.PolarityReading
    agrees: bool
    opening_cue: bool
    persons: list[str]
    parties: list[str]
    question_only: bool
    solution: str | None
    us_them: list[str]
    injection: bool
    stems: list[str]
    echo_cue: bool


def read_text(utt: UtteranceOut, roster: Roster) -> TextReading:
    """The model-free part of :func:`analyse`.

    The service runs it on the event loop while the embedding it started ahead runs on
    the other core, so the two overlap.
    """
    lang = roster.language
    sentences = sentences_of(utt.text)
    reading = polarity.read_polarity(utt.text, lang)
    # A reply agrees at the start of a turn; a cue later on is part of the content.
    first_cue = min((c.start for c in reading.agree_cues), default=len(utt.text))
    person = roster.people[utt.speaker]
    persons, parties = roster.mentions(utt.text)
    sol = solution_talk.detect_solution_talk(utt.text, lang)
    others = [n for pid, n in roster.parties.items() if pid != person.party]
    return TextReading(
        sentences=sentences,
        reading=reading,
        agrees=polarity.responds_in_agreement(utt.text, lang),
        opening_cue=len(utt.text[:first_cue].split()) <= OPENING_WORDS,
        persons=[p for p in persons if p != utt.speaker],
        parties=parties,
        question_only=all(s.rstrip().endswith("?") for s in sentences),
        solution=sol.text if sol else None,
        us_them=[s.text for s in us_them.find_us_them(utt.text, lang, others)],
        injection=looks_like_instruction(utt.text),
        stems=sorted(content_stems(utt.text, lang)),
        echo_cue=_echoes(sentences[0], lang),
    )


def analyse(
    utt: UtteranceOut, roster: Roster, embedder: Embedder, text: TextReading | None = None
) -> tuple[Features, np.ndarray]:
    """Features and the centred utterance vector for one utterance.

    ``text`` is :func:`read_text` of the same utterance, when the caller already has it.
    """
    lang = roster.language
    t = text or read_text(utt, roster)
    sent_vecs = embedder.passages(t.sentences)
    mean = sent_vecs.mean(axis=0)
    vec = centred(mean / (np.linalg.norm(mean) or 1.0), embedder)

    clf = get_classifier()
    # A cue word that only names the meeting's own subject ("budget" at a budget meeting)
    # says little about what matters to this speaker.
    topic = " ".join(filter(None, [roster.topic.title, roster.topic.goal]))
    values = clf.sentence_evidence(
        clf.scores(sent_vecs), texts=t.sentences, language=lang, topic=topic
    )

    feats = Features(
        id=utt.id,
        seq=utt.seq,
        speaker=utt.speaker,
        party=utt.party,
        step=utt.step,
        facilitator=roster.people[utt.speaker].is_facilitator,
        sentences=t.sentences,
        question_only=t.question_only,
        asks=any(x.rstrip().endswith("?") for x in t.sentences),
        stance=str(t.reading.stance),
        agree_cue=t.agrees and t.opening_cue,
        consensus_cue=t.agrees and not t.opening_cue,
        echo_cue=t.echo_cue,
        contrast=t.reading.contrast,
        sarcasm=t.reading.sarcasm,
        negations=t.reading.negations,
        injection=t.injection,
        solution=t.solution,
        us_them=t.us_them,
        mentions_people=t.persons,
        mentions_parties=t.parties,
        stems=t.stems,
        values=values,
    )
    return feats, vec
