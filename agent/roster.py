"""Who is at the table: a read-only snapshot of a meeting's set-up, used by every node."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from agent.analysis.text import fold
from agent.models import Language, MeetingOut, Topic


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    party: str
    role: str

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else self.name

    @property
    def is_facilitator(self) -> bool:
        return self.role == "facilitator"


@dataclass(frozen=True)
class Roster:
    """The meeting's topic, language, parties and people."""

    meeting_id: str
    language: Language
    topic: Topic
    parties: dict[str, str]  # party id -> name, in table order
    people: dict[str, Person] = field(default_factory=dict)

    @classmethod
    def from_meeting(cls, m: MeetingOut) -> Roster:
        return cls(
            meeting_id=m.id,
            language=m.language,
            topic=m.topic,
            parties={p.id: p.name for p in m.parties},
            people={p.id: Person(p.id, p.name, p.party, p.role) for p in m.participants},
        )

    def party_of(self, participant_id: str) -> str:
        return self.people[participant_id].party

    def party_name(self, party_id: str) -> str:
        return self.parties.get(party_id, party_id)

    @cached_property
    def speaking_parties(self) -> tuple[str, ...]:
        """Parties with at least one participant who is not only the facilitator."""
        return tuple(
            pid
            for pid in self.parties
            if any(p.party == pid and not p.is_facilitator for p in self.people.values())
        )

    @cached_property
    def _name_patterns(self) -> list[tuple[re.Pattern[str], str, str]]:
        pats: list[tuple[re.Pattern[str], str, str]] = []
        for p in self.people.values():
            for n in {p.name, p.first_name}:
                if len(n) >= 2:
                    pats.append((re.compile(rf"\b{re.escape(fold(n))}\b"), "person", p.id))
        for pid, name in self.parties.items():
            for n in {name, pid}:
                if len(n) >= 2:
                    pats.append((re.compile(rf"\b{re.escape(fold(n))}\b"), "party", pid))
        return pats

    def mentions(self, text: str) -> tuple[list[str], list[str]]:
        """Participant ids and party ids named in ``text`` (whole words, case-insensitive)."""
        folded = fold(text)
        persons: list[str] = []
        parties: list[str] = []
        for pat, kind, ident in self._name_patterns:
            if pat.search(folded):
                target = persons if kind == "person" else parties
                if ident not in target:
                    target.append(ident)
        return persons, parties
