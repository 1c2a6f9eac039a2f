"""The local engine's synthesis: templates from ``prompts/synthesis.<lang>.yaml`` filled with
extractive summaries of this meeting.

Nothing here invents content. Every sentence quoted is a sentence someone said or wrote;
labels come from the agreement tracker and the value map; next steps and open points are
sentences picked by cue patterns, quoted whole. The view must hold the whole transcript
(``build_view(..., whole_transcript=True)``), because next steps and open questions can be
anywhere in the meeting.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from agent.analysis.injection import looks_like_instruction
from agent.analysis.questions import content_stems
from agent.analysis.text import fold, split_sentences
from agent.models import Agreement, Citation, Difference, Evidence, UtteranceOut, ValueEvidenceOut
from agent.prompts import load_text, load_yaml, render
from agent.reasoner.base import MeetingView, Reasoner
from agent.roster import Roster
from agent.synthesis.models import RecordedFrame, SynthesisDraftItem

ANSWER_WINDOW = 4  # turns within which the person or party asked should answer
FRAME_OVERLAP = 2  # content stems a facilitator's frame sentence shares with goal and rules
FRAME_SENTENCES = 2
VALUES_PER_PARTY = 4
CITES_PER_VALUE = 2
CITES_PER_SIDE = 2
CITES_PER_QUESTIONING = 3
TEXT_QUOTE_WORDS = 25  # a quoted sentence up to this long goes into an item's text whole
SHORT_QUOTE_WORDS = 16  # else a clause of at most this many words


@functools.cache
def _cues(language: str) -> dict[str, re.Pattern[str]]:
    # One alternation per kind: a single search per sentence instead of one per pattern,
    # which matters in a meeting of 1,500 turns.
    raw = load_yaml(f"synthesis.{language}.yaml")["cues"]
    return {name: re.compile("|".join(f"(?:{p})" for p in pats)) for name, pats in raw.items()}


def template(language: str, key: str, **variables: object) -> str:
    """An item template from ``prompts/synthesis.<lang>.yaml`` (``items.<key>``), filled."""
    node: Any = load_yaml(f"synthesis.{language}.yaml")["items"]
    return render(str(node[key]), **variables)


def join_names(language: str, names: Sequence[str]) -> str:
    """``A, B en C`` / ``A, B and C``."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    sep = template(language, "join")
    return sep.join(names[:-1]) + template(language, "join_last") + names[-1]


def _matches(kind: str, folded: str, language: str) -> bool:
    """Does the folded sentence carry a ``kind`` cue and none of its ``kind_not`` exclusions?"""
    cues = _cues(language)
    exclude = cues.get(f"{kind}_not")
    return bool(cues[kind].search(folded)) and not (exclude and exclude.search(folded))


def cue_sentences(text: str, language: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(index, sentence) pairs of ``text``: the next steps voiced, and the points named open.

    Sentences are split and folded once for both, since this runs over every turn.
    """
    steps: list[tuple[int, str]] = []
    open_points: list[tuple[int, str]] = []
    for i, sentence in enumerate(split_sentences(text)):
        # Plain ASCII needs no accent folding; lower() is many times cheaper than fold().
        folded = sentence.lower() if sentence.isascii() else fold(sentence)
        if _matches("next_step", folded, language):
            steps.append((i, sentence))
        if _matches("open_point", folded, language):
            open_points.append((i, sentence))
    return steps, open_points


def next_step_sentences(text: str, language: str) -> list[tuple[int, str]]:
    """(index, sentence) of each sentence in ``text`` that voices a next step or commitment."""
    return cue_sentences(text, language)[0]


def open_point_sentences(text: str, language: str) -> list[tuple[int, str]]:
    """(index, sentence) of each sentence in ``text`` that names something as still open."""
    return cue_sentences(text, language)[1]


def _cite(u: UtteranceOut, quote: str) -> Citation:
    return Citation(utterance_id=u.id, participant=u.speaker, quote=quote)


def _from_evidence(e: Evidence) -> Citation:
    return e.citation()


def _fragment(sentence: str) -> str:
    """A quote for an item's text: the whole sentence when it is short enough to read in
    one go, else a verbatim clause of it (both occur verbatim in the cited sentence)."""
    if len(sentence.split()) <= TEXT_QUOTE_WORDS:
        return " ".join(sentence.split())
    # Imported here: agent.reasoner.local imports this module lazily, and a module-level
    # import the other way round would make the two depend on each other at load time.
    from agent.reasoner.local import short_quote

    return short_quote(sentence, SHORT_QUOTE_WORDS)


def _unique(citations: Iterable[Citation]) -> list[Citation]:
    """Citations without repeats of the same quote from the same source."""
    seen: set[tuple[str, str]] = set()
    out: list[Citation] = []
    for c in citations:
        if (c.ref, c.quote) not in seen:
            seen.add((c.ref, c.quote))
            out.append(c)
    return out


@dataclass(frozen=True)
class _Question:
    utterance: UtteranceOut
    sentence: str
    targets: tuple[str, ...]  # participant ids and party ids, as the signals count them


def _questions(utts: Sequence[UtteranceOut], roster: Roster) -> list[_Question]:
    """Questions addressed to another party or a person of another party.

    Close to the live questioning signal (a turn with a question that names a person of
    another party, or another party), but the names in the question sentence itself come
    first, so "..., Martijn. Frank, what do you value?" is a question to Frank.
    """
    out: list[_Question] = []
    for u in utts:
        sentences = split_sentences(u.text)
        asked = next((s for s in sentences if s.rstrip().endswith("?")), None)
        if asked is None or u.speaker not in roster.people:
            continue
        # Whom the question sentence names; when it names nobody, whom the turn names
        # (as in "Monique, one question. What do you mean?").
        persons, parties = roster.mentions(asked)
        if not persons and not parties:
            persons, parties = roster.mentions(u.text)
        targets = [p for p in persons if p != u.speaker and roster.party_of(p) != u.party]
        # A party is a target only when none of its people is named already: "Pim, how
        # does the works council see it?" is one question to Pim, not two.
        named = {roster.party_of(p) for p in targets}
        targets += [p for p in parties if p != u.party and p not in named]
        if targets:
            out.append(_Question(u, asked, tuple(dict.fromkeys(targets))))
    return out


def _numbered(text: str) -> list[str]:
    """The items of the numbered or bulleted list in ``text`` (ground rules), in order."""
    return [
        " ".join(m.group(1).split())
        for m in re.finditer(r"(?m)^\s*(?:\d+[.)]|[-*•])\s+(.+)$", text)
    ]


def _display(roster: Roster, ident: str) -> str:
    person = roster.people.get(ident)
    return person.name if person else roster.party_name(ident)


class LocalSynthesisWriter:
    """Writes the synthesis of one meeting from the reasoner's own derived results."""

    def __init__(self, reasoner: Reasoner, view: MeetingView) -> None:
        self.reasoner = reasoner
        self.view = view
        self.roster = view.roster
        self.lang = view.language
        self.utts = sorted(view.utterances.values(), key=lambda u: u.seq)

    @functools.cached_property
    def cues(self) -> dict[str, tuple[list[tuple[int, str]], list[tuple[int, str]]]]:
        """Utterance id -> (next-step sentences, open-point sentences), scanned once."""
        return {u.id: cue_sentences(u.text, self.lang) for u in self.utts if self._speakable(u)}

    @functools.cached_property
    def questions(self) -> list[_Question]:
        """Questions between parties, found once for open questions and participation."""
        return _questions(self.utts, self.roster)

    def t(self, key: str, **variables: object) -> str:
        return template(self.lang, key, **variables)

    def who(self, pid: str) -> tuple[str, str]:
        """(name, party name) of a participant."""
        person = self.roster.people[pid]
        return person.name, self.roster.party_name(person.party)

    async def write(self) -> list[SynthesisDraftItem]:
        agreements, differences = await self.reasoner.describe_agreements(self.view)
        value_map = await self.reasoner.value_map(self.view)
        items = self.frame(agreements)
        items += self.values(value_map)
        items += self.agreements(agreements)
        items += self.differences(differences)
        items += self.open_questions()
        items += self.next_steps()
        items += self.participation()
        return items

    # ---- frame -----------------------------------------------------------------------

    def _proposed_rules(self) -> list[str]:
        return _numbered(load_text(f"frame.{self.lang}.md"))

    def frame(self, agreements: Sequence[Agreement]) -> list[SynthesisDraftItem]:
        recorded = self.view.extra.get("frame")
        frame = recorded if isinstance(recorded, RecordedFrame) else None
        goal = self.roster.topic.goal
        items = [
            SynthesisDraftItem(
                key="frame:goal",
                section="frame",
                text=self.t("goal_record", goal=goal),
                basis="record",
            )
        ]
        rules = self._proposed_rules()
        wanted = content_stems(" ".join([goal, *rules]), self.lang)
        voiced: list[tuple[UtteranceOut, str]] = []
        for u in self.utts:
            person = self.roster.people.get(u.speaker)
            if u.step != "frame" or person is None or not person.is_facilitator:
                continue
            for s in split_sentences(u.text):
                if len(content_stems(s, self.lang) & wanted) >= FRAME_OVERLAP:
                    voiced.append((u, s))
                    break
        voiced = voiced[:FRAME_SENTENCES]
        evidence = [_cite(u, s) for u, s in voiced]
        # Who agreed with the proposal in the frame step: the tracker's (polarity-checked)
        # points that contain one of these facilitator turns, their frame-step members only.
        proposal_ids = {u.id for u, _ in voiced}
        in_frame = {u.id for u in self.utts if u.step == "frame"}
        for a in agreements:
            if proposal_ids & {e.utterance_id for e in a.evidence}:
                evidence += [
                    _from_evidence(e)
                    for e in a.evidence
                    if e.utterance_id in in_frame and e.utterance_id not in proposal_ids
                ]
        evidence = _unique(evidence)
        if frame is not None:
            # What the facilitator recorded as agreed: its numbered rules when it has
            # them, otherwise the recorded text itself.
            listed = _numbered(frame.text)
            rules_text = (
                " ".join(f"{i}) {r}" for i, r in enumerate(listed, start=1))
                if listed
                else " ".join(frame.text.split())
            )
            rule_item = SynthesisDraftItem(
                key="frame:rules",
                section="frame",
                text=self.t("rules_agreed", rules=rules_text),
                evidence=evidence,
                basis="record",
            )
        elif voiced:
            u, s = voiced[0]
            rule_item = SynthesisDraftItem(
                key="frame:rules",
                section="frame",
                text=self.t("rules_voiced", name=self.who(u.speaker)[0], quote=s),
                evidence=evidence,
            )
        else:
            rule_item = SynthesisDraftItem(
                key="frame:rules",
                section="frame",
                text=self.t(
                    "rules_draft",
                    rules=" ".join(f"{i}) {r}" for i, r in enumerate(rules, start=1)),
                ),
                basis="draft",
            )
        return [*items, rule_item]

    # ---- values, agreements, differences --------------------------------------------------

    def values(self, value_map: dict[str, list[ValueEvidenceOut]]) -> list[SynthesisDraftItem]:
        out: list[SynthesisDraftItem] = []
        for party, name in self.roster.parties.items():
            merged: dict[str, tuple[str, float, list[Citation]]] = {}
            for person in self.roster.people.values():
                if person.party != party:
                    continue
                for v in value_map.get(person.id, []):
                    # A question says what the asker wants to know, not what they value;
                    # and what the facilitator says in the meeting steers it rather than
                    # speaking for their party (their written position still counts).
                    cites = [
                        c
                        for c in v.evidence
                        if not c.quote.rstrip().endswith("?")
                        and not (person.is_facilitator and c.utterance_id is not None)
                    ]
                    if not cites:
                        continue
                    label, strength, before = merged.get(v.value, (v.label, 0.0, []))
                    merged[v.value] = (label, strength + v.strength, before + cites[:1])
            if not merged:
                continue
            ranked = sorted(merged.items(), key=lambda kv: (-kv[1][1], kv[0]))[:VALUES_PER_PARTY]
            evidence = _unique([c for _, (_, _, cs) in ranked for c in cs[:CITES_PER_VALUE]])
            labels = [label for _, (label, _, _) in ranked]
            out.append(
                SynthesisDraftItem(
                    key=f"values:{party}",
                    section="values",
                    # Value labels hold commas and "and" themselves, so they are joined
                    # with a separator of their own.
                    text=self.t("values", party=name, values=self.t("value_join").join(labels)),
                    evidence=evidence,
                )
            )
        return out

    def _representative(self, evidence: Sequence[Evidence]) -> str:
        """The sentence that shares most content words with the others: the point itself,
        in the words of one of the people who made it (quoted verbatim)."""
        stems = [content_stems(e.quote, self.lang) for e in evidence]
        best, best_score = evidence[0].quote, -1
        for i, e in enumerate(evidence):
            if len(e.quote.split()) < 4:
                continue  # "Eens." or "Ja, graag." carries the agreement, not the point
            score = sum(len(stems[i] & other) for j, other in enumerate(stems) if j != i)
            if score > best_score:
                best, best_score = e.quote, score
        return _fragment(best)

    def agreements(self, agreements: Sequence[Agreement]) -> list[SynthesisDraftItem]:
        # The reasoner already puts all-party points first; keep its order.
        return [
            SynthesisDraftItem(
                key=f"agreement:{a.id}",
                section="agreements",
                text=self.t(
                    "agreement_all" if a.all_parties else "agreement",
                    parties=join_names(self.lang, [self.roster.party_name(p) for p in a.parties]),
                    quote=self._representative(a.evidence),
                ),
                evidence=[_from_evidence(e) for e in a.evidence],
            )
            for a in agreements
            if a.evidence
        ]

    def differences(self, differences: Sequence[Difference]) -> list[SynthesisDraftItem]:
        out: list[SynthesisDraftItem] = []
        for d in differences:
            sides = [
                self.t(
                    "difference_side",
                    party=self.roster.party_name(side.party),
                    quote=_fragment(side.evidence[0].quote),
                )
                for side in d.sides
                if side.evidence
            ]
            out.append(
                SynthesisDraftItem(
                    key=f"difference:{d.id}",
                    section="differences",
                    text=self.t("difference", label=d.label, sides=self.t("side_join").join(sides)),
                    evidence=[
                        _from_evidence(e)
                        for side in d.sides
                        for e in side.evidence[:CITES_PER_SIDE]
                    ],
                )
            )
        return out

    # ---- open questions and next steps ---------------------------------------------------

    def _speakable(self, u: UtteranceOut) -> bool:
        # Text that reads like an instruction to the agent is data; it is never turned into
        # a next step or an open point of the team's report.
        return u.speaker in self.roster.people and not looks_like_instruction(u.text)

    def _facilitator(self, pid: str) -> bool:
        return self.roster.people[pid].is_facilitator

    def open_questions(self) -> list[SynthesisDraftItem]:
        """What the meeting itself named as open, and questions between parties left
        unanswered. The differences are not repeated here: they have their own section,
        and the tracker cannot tell a settled difference from an open one."""
        out: list[SynthesisDraftItem] = []
        for u in self.utts:
            if u.id not in self.cues:
                continue
            for i, s in self.cues[u.id][1]:
                out.append(
                    SynthesisDraftItem(
                        key=f"open:{u.id}:{i}",
                        section="open_questions",
                        text=self.t("open_voiced", name=self.who(u.speaker)[0], quote=s),
                        evidence=[_cite(u, s)],
                    )
                )
        position = {u.id: n for n, u in enumerate(self.utts)}
        for q in self.questions:
            if not self._speakable(q.utterance) or self._facilitator(q.utterance.speaker):
                continue
            n = position[q.utterance.id]
            after = self.utts[n + 1 : n + 1 + ANSWER_WINDOW]
            answered = any(
                u.speaker in q.targets or self.roster.party_of(u.speaker) in q.targets
                for u in after
                if u.speaker in self.roster.people
            )
            if answered:
                continue
            out.append(
                SynthesisDraftItem(
                    key=f"unanswered:{q.utterance.id}",
                    section="open_questions",
                    text=self.t(
                        "open_unanswered",
                        asker=self.who(q.utterance.speaker)[0],
                        target=join_names(self.lang, [_display(self.roster, x) for x in q.targets]),
                        quote=q.sentence,
                    ),
                    evidence=[_cite(q.utterance, q.sentence)],
                )
            )
        return out

    def next_steps(self) -> list[SynthesisDraftItem]:
        out: list[SynthesisDraftItem] = []
        for u in self.utts:
            if u.id not in self.cues:
                continue
            for i, s in self.cues[u.id][0]:
                name, party = self.who(u.speaker)
                out.append(
                    SynthesisDraftItem(
                        key=f"next:{u.id}:{i}",
                        section="next_steps",
                        text=self.t("next_step", name=name, party=party, quote=s),
                        evidence=[_cite(u, s)],
                    )
                )
        return out

    # ---- participation -------------------------------------------------------------------

    def participation(self) -> list[SynthesisDraftItem]:
        signals = self.view.signals
        if not signals or not signals["utterances"]:
            return []
        total = sum(signals["words"].values()) or 1
        parts: list[str] = []
        for party, name in self.roster.parties.items():
            members = [p.id for p in self.roster.people.values() if p.party == party]
            words = sum(signals["words"].get(m, 0) for m in members)
            turns = sum(signals["turns"].get(m, 0) for m in members)
            parts.append(
                self.t("share_part", party=name, share=round(100 * words / total), turns=turns)
            )
        out = [
            SynthesisDraftItem(
                key="participation:share",
                section="participation",
                text=self.t("speaking_share", shares=self.t("join").join(parts)),
                basis="counts",
            )
        ]
        pairs: dict[tuple[str, str], list[_Question]] = {}
        for q in self.questions:
            if self._facilitator(q.utterance.speaker):
                continue  # the facilitator's questions are the method, not mutual questioning
            for target in q.targets:
                pairs.setdefault((q.utterance.speaker, target), []).append(q)
        ranked = sorted(pairs.items(), key=lambda kv: (-len(kv[1]), kv[1][0].utterance.seq))
        for (asker, target), qs in ranked:
            out.append(
                SynthesisDraftItem(
                    key=f"questioning:{asker}>{target}",
                    section="participation",
                    text=self.t(
                        "questioning",
                        asker=self.who(asker)[0],
                        target=_display(self.roster, target),
                        count=len(qs),
                    ),
                    evidence=[_cite(q.utterance, q.sentence) for q in qs[:CITES_PER_QUESTIONING]],
                )
            )
        if not pairs:
            out.append(
                SynthesisDraftItem(
                    key="participation:no_questioning",
                    section="participation",
                    text=self.t("no_questioning"),
                    basis="counts",
                )
            )
        return out


async def write_local(reasoner: Reasoner, view: MeetingView) -> list[SynthesisDraftItem]:
    """The synthesis of ``view``'s meeting, section by section, every claim cited."""
    return await LocalSynthesisWriter(reasoner, view).write()


def iter_citations(items: Iterable[SynthesisDraftItem]) -> Iterable[Citation]:
    """Every citation of ``items``, in order."""
    for item in items:
        yield from item.evidence
