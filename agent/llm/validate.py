"""Nothing a model says reaches the facilitator unchecked.

Every output is turned from wire shape into the domain models only through the checks
here, the same for every task:

- a citation must point to an utterance or position of *this* meeting (one in the view
  the prompt was built from), and its quote must occur in it verbatim after whitespace
  normalisation; the participant is taken from the source, never from the model;
- text that reads as an instruction to a machine is never evidence, and output that
  echoes such text, or itself reads as an instruction, is dropped: the model may have
  obeyed it;
- pseudonyms are restored; a pseudonym that stands for nobody here drops the item;
- an agreement needs two parties, evidence the local polarity check accepts, and a
  label that uses the words of its evidence;
- a question must pass every automatic question check (:func:`check_question`).

What is dropped is counted by reason (never with its content) in :class:`Checked`.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from agent.analysis.injection import looks_like_instruction
from agent.analysis.language import detect_language
from agent.analysis.polarity import Stance, read_polarity, same_polarity
from agent.analysis.questions import check_question, content_stems
from agent.analysis.text import normalize_ws, quote_in, split_sentences, words
from agent.llm.messages import Source, Sources
from agent.llm.pseudonym import Masked, Pseudonymiser
from agent.llm.wire import AgreementsOut, Cite, ConsultOut, PointOut, QuestionsOut, SynthesisOut
from agent.models import (
    Agreement,
    Citation,
    ConsultAnswer,
    Difference,
    DifferenceSide,
    Evidence,
    Question,
)
from agent.prompts import load_yaml
from agent.reasoner.base import MeetingView
from agent.synthesis.models import SynthesisDraftItem

T = TypeVar("T")

MIN_QUOTE_WORDS = 2
CLAUSE_WORDS = 16  # a sentence longer than this is also offered as a quote clause by clause
_CLAUSE_END = re.compile(r"(?<=[,;:])\s+")
ECHO_WORDS = 5  # a run this long copied from an injected text counts as obeying it
MAX_QUESTIONS = 6
MAX_POINTS = 12
SYNTHESIS_SECTIONS = ("values", "agreements", "differences", "open_questions", "next_steps")


@functools.cache
def _value_ids() -> frozenset[str]:
    return frozenset(str(k) for k in load_yaml("values.yaml"))


@dataclass
class Checked(Generic[T]):
    """Validated items, how many the model proposed, and the drops by reason.

    Every proposed item is either kept or dropped once (``proposed == len(items) +
    sum(dropped)``); a citation dropped from an item that is kept anyway is counted in
    ``citations_dropped``.
    """

    items: list[T] = field(default_factory=list)
    proposed: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    citations_dropped: Counter[str] = field(default_factory=Counter)

    def drop(self, reason: str) -> None:
        self.dropped[reason] += 1


class Rejected(Exception):
    """One item failed a check; ``reason`` is the code counted for it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _shingles(text: str, n: int = ECHO_WORDS) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


class Validator:
    """The checks for one meeting view and its pseudonyms."""

    def __init__(self, view: MeetingView, pseudo: Pseudonymiser, sources: Sources) -> None:
        self.view = view
        self.pseudo = pseudo
        self.sources = sources
        self.language = view.language
        self._injected = [
            s for s in sources.by_ref.values() if looks_like_instruction(s.masked.original)
        ]
        self._injected_shingles: set[tuple[str, ...]] = set()
        for s in self._injected:
            self._injected_shingles |= _shingles(s.masked.original)

    # ---- shared checks ------------------------------------------------------------------

    def _source(self, ref: str) -> Source:
        ref = ref.strip().strip("[]()").strip()
        found = self.sources.by_ref.get(ref) or self.sources.by_ref.get(f"position:{ref}")
        if found is None:
            raise Rejected("unknown_source")  # not this meeting's (or not in the view)
        if found in self._injected:
            raise Rejected("injected_source")
        return found

    def _kept_citations(
        self, cites: Iterable[Cite], result: Checked[T]
    ) -> tuple[list[Citation], list[Masked]]:
        """The citations that pass :meth:`citation`, with their masked sources; each one
        that fails is counted in ``result.citations_dropped`` by its reason."""
        citations: list[Citation] = []
        cited: list[Masked] = []
        for cite in cites:
            try:
                c, source = self.citation(cite)
            except Rejected as exc:
                result.citations_dropped[exc.reason] += 1
                continue
            citations.append(c)
            cited.append(source.masked)
        return citations, cited

    def citation(self, cite: Cite) -> tuple[Citation, Source]:
        """A wire citation as a checked :class:`Citation` (quote restored verbatim)."""
        source = self._source(cite.source)
        quote = source.masked.find(cite.quote)
        if quote is None or len(quote.split()) < MIN_QUOTE_WORDS:
            raise Rejected("quote_not_verbatim")
        if not quote_in(quote, source.masked.original):  # by construction; checked anyway
            raise Rejected("quote_not_verbatim")
        if source.ref.startswith("position:"):
            c = Citation(
                position_id=source.ref.removeprefix("position:"),
                participant=source.participant,
                quote=quote,
            )
        else:
            c = Citation(utterance_id=source.ref, participant=source.participant, quote=quote)
        return c, source

    def quotable(self, ref: str, sent: str) -> list[str]:
        """What a citation of ``ref`` may quote, as :meth:`citation` accepts it: the
        sentences of ``sent`` (the text of ``ref`` as the prompt carried it) and the
        clauses of long ones. Nothing for a source that is never evidence."""
        try:
            source = self._source(ref)
        except Rejected:
            return []
        pieces: list[str] = []
        for sentence in split_sentences(sent):
            candidates = [sentence]
            if len(sentence.split()) > CLAUSE_WORDS:
                candidates += [c.rstrip(",;:") for c in _CLAUSE_END.split(sentence)]
            for c in candidates:
                if (
                    c not in pieces
                    and len(c.split()) >= MIN_QUOTE_WORDS
                    and source.masked.find(c) is not None
                ):
                    pieces.append(c)
        return pieces

    def text(self, raw: str, sources: Iterable[Masked] = ()) -> str:
        """Free text from the model with names restored, or :class:`Rejected`."""
        if not normalize_ws(raw):
            raise Rejected("empty_text")
        if self.pseudo.unknown_aliases(raw):
            raise Rejected("unknown_alias")
        text = normalize_ws(self.pseudo.restore(raw, sources))
        if looks_like_instruction(text):
            raise Rejected("instruction_like")
        if self._injected_shingles and _shingles(text) & self._injected_shingles:
            raise Rejected("echoes_injection")
        return text

    def _language_ok(self, text: str) -> bool:
        detected = detect_language(text)
        return detected is None or detected == self.language

    # ---- questions ------------------------------------------------------------------------

    def questions(self, out: QuestionsOut, kind: str) -> Checked[Question]:
        result: Checked[Question] = Checked(proposed=len(out.questions))
        r = self.view.roster
        seen: set[str] = set()
        for wq in out.questions:
            try:
                pid = self.pseudo.person_of(wq.addressee)
                if pid is None or pid not in r.people or r.people[pid].is_facilitator:
                    raise Rejected("unknown_addressee")
                citation, source = self.citation(wq.grounded_in)
                if source.participant != pid:
                    raise Rejected("not_own_words")
                text = self.text(wq.text, self.sources.of(pid))
                person = r.people[pid]
                own = [
                    s.masked.original for s in self.sources.by_ref.values() if s.participant == pid
                ]
                check = check_question(
                    text,
                    self.language,
                    [person.name, person.first_name, r.party_name(person.party)],
                    own,
                )
                if not check.passed:
                    raise Rejected(f"question_{check.failures[0]}")
                qid = hashlib.sha256(f"{pid}|{text}".encode()).hexdigest()[:10]
                if qid in self.view.asked or qid in seen:
                    raise Rejected("repeated")
                if len(result.items) >= MAX_QUESTIONS:
                    raise Rejected("over_limit")
            except Rejected as exc:
                result.drop(exc.reason)
                continue
            seen.add(qid)
            result.items.append(
                Question(
                    id=qid,
                    kind=kind,
                    text=text,
                    addressee=pid,
                    party=person.party,
                    grounded_in=citation,
                    value=wq.value if wq.value in _value_ids() else None,
                    backend="llm",
                )
            )
        return result

    # ---- agreements and differences ---------------------------------------------------------

    def _evidence(self, cites: Sequence[Cite]) -> list[tuple[Evidence, Source]]:
        """Utterance evidence of one point, unique per utterance, in meeting order."""
        out: dict[str, tuple[Evidence, Source]] = {}
        for cite in cites:
            citation, source = self.citation(cite)
            if citation.utterance_id is None:
                continue  # positions are not evidence of agreement in the meeting
            if citation.utterance_id not in out:
                u = self.view.utterances[citation.utterance_id]
                out[citation.utterance_id] = (
                    Evidence(
                        utterance_id=u.id, speaker=u.speaker, party=u.party, quote=citation.quote
                    ),
                    source,
                )
        return sorted(out.values(), key=lambda e: e[1].seq)

    def _label(self, raw: str, evidence: Sequence[tuple[Evidence, Source]]) -> str:
        label = self.text(raw, [s.masked for _, s in evidence])
        grounds: set[str] = set()
        for _, s in evidence:
            grounds |= content_stems(s.masked.original, self.language)
        if not content_stems(label, self.language) & grounds:
            raise Rejected("ungrounded_label")
        return label

    def polarity_ok(self, utterance_ids: Sequence[str]) -> bool:
        """Does the local polarity check accept these utterances as agreeing evidence?

        The same reading the local tracker applies: no question-only turn; no turn that,
        read against an earlier one of the evidence, disagrees, contrasts ("ja, maar") or
        is sarcastic; a pair without an explicit agreement cue must be free of a polarity
        conflict (negation, antonyms, competing options); and no pair that the local
        tracker holds as a difference.
        """
        lang = self.language
        utts = sorted((self.view.utterances[u] for u in utterance_ids), key=lambda u: u.seq)
        for u in utts:
            sentences = split_sentences(u.text) or [u.text]
            if all(s.rstrip().endswith("?") for s in sentences):
                return False
        for a, b in itertools.combinations(utts, 2):
            if a.speaker == b.speaker:
                continue
            reading = read_polarity(b.text, lang, prior=a.text)
            if reading.stance is Stance.DISAGREE or reading.contrast or reading.sarcasm:
                return False
            if reading.stance is not Stance.AGREE and not same_polarity(a.text, b.text, lang):
                return False
        ids = set(utterance_ids)
        for d in self.view.tracker["differences"]:
            if len(ids & {d["target"], *d["members"]}) >= 2:
                return False
        return True

    def _point(self, p: PointOut) -> tuple[str, list[tuple[Evidence, Source]]]:
        evidence = self._evidence(p.evidence)
        if len({e.party for e, _ in evidence}) < 2:
            raise Rejected("one_party")
        return self._label(p.label, evidence), evidence

    def agreements(self, out: AgreementsOut) -> tuple[Checked[Agreement], Checked[Difference]]:
        r = self.view.roster
        agreed: Checked[Agreement] = Checked(proposed=len(out.agreements))
        seen: set[frozenset[str]] = set()
        for p in out.agreements:
            try:
                label, evidence = self._point(p)
                ids = frozenset(e.utterance_id for e, _ in evidence)
                if not self.polarity_ok(list(ids)):
                    raise Rejected("polarity")
                if ids in seen:
                    raise Rejected("repeated")
                if len(agreed.items) >= MAX_POINTS:
                    raise Rejected("over_limit")
            except Rejected as exc:
                agreed.drop(exc.reason)
                continue
            seen.add(ids)
            parties = list(dict.fromkeys(e.party for e, _ in evidence))
            agreed.items.append(
                Agreement(
                    id=f"m{len(agreed.items) + 1}",
                    label=label,
                    parties=parties,
                    participants=list(dict.fromkeys(e.speaker for e, _ in evidence)),
                    all_parties=set(r.speaking_parties) <= set(parties),
                    evidence=[e for e, _ in evidence],
                    backend="llm",
                )
            )
        differences: Checked[Difference] = Checked(proposed=len(out.differences))
        for p in out.differences:
            try:
                label, evidence = self._point(p)
                if len(differences.items) >= MAX_POINTS:
                    raise Rejected("over_limit")
            except Rejected as exc:
                differences.drop(exc.reason)
                continue
            by_party: dict[str, list[Evidence]] = {}
            for e, _ in evidence:
                by_party.setdefault(e.party, []).append(e)
            differences.items.append(
                Difference(
                    id=f"n{len(differences.items) + 1}",
                    label=label,
                    sides=[
                        DifferenceSide(
                            party=party,
                            participants=list(dict.fromkeys(e.speaker for e in evs)),
                            evidence=evs,
                        )
                        for party, evs in by_party.items()
                    ],
                    backend="llm",
                )
            )
        return agreed, differences

    # ---- consult ----------------------------------------------------------------------------

    def consult(self, out: ConsultOut) -> Checked[ConsultAnswer]:
        """One answer, kept only with at least one valid citation and clean text."""
        result: Checked[ConsultAnswer] = Checked(proposed=1)
        citations, cited = self._kept_citations(out.evidence, result)
        try:
            if not citations:
                raise Rejected("no_evidence")
            answer = self.text(out.answer, [*cited, *self.sources.all()])
            if not self._language_ok(answer):
                raise Rejected("wrong_language")
        except Rejected as exc:
            result.drop(exc.reason)
            return result
        result.items.append(
            ConsultAnswer(answer=answer, evidence=citations, backend="llm", fallback=False)
        )
        return result

    # ---- synthesis ----------------------------------------------------------------------------

    def synthesis(self, out: SynthesisOut, limit: int) -> Checked[SynthesisDraftItem]:
        result: Checked[SynthesisDraftItem] = Checked(proposed=len(out.items))
        keys: set[str] = set()
        for item in out.items:
            try:
                section = item.section.strip().lower()
                if section not in SYNTHESIS_SECTIONS:
                    raise Rejected("bad_section")
                citations, cited = self._kept_citations(item.evidence, result)
                if not citations:
                    raise Rejected("no_evidence")
                if section == "agreements":
                    uids = list(dict.fromkeys(c.utterance_id for c in citations if c.utterance_id))
                    parties = {self.view.utterances[u].party for u in uids}
                    if len(parties) < 2:
                        raise Rejected("one_party")
                    if not self.polarity_ok(uids):
                        raise Rejected("polarity")
                text = self.text(item.text, cited)
                refs = sorted({c.ref for c in citations})
                key = f"{section}:llm:" + hashlib.sha256("|".join(refs).encode()).hexdigest()[:10]
                if key in keys:
                    raise Rejected("repeated")
                if len(result.items) >= limit:
                    raise Rejected("over_limit")
            except Rejected as exc:
                result.drop(exc.reason)
                continue
            keys.add(key)
            result.items.append(
                SynthesisDraftItem(key=key, section=section, text=text, evidence=citations)
            )
        return result
