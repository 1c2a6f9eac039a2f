"""The embedded, deterministic reasoner: lexicons, the question bank and the local
analysis results. No network, same input gives the same output."""

from __future__ import annotations

import functools
import hashlib
import re
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from agent.analysis import questions as qcheck
from agent.analysis import topic as topic_rules
from agent.analysis.questions import closest_sentence, content_stems
from agent.analysis.text import fold, normalize_ws, split_sentences
from agent.models import (
    Agreement,
    Citation,
    ConsultAnswer,
    Difference,
    DifferenceSide,
    Evidence,
    MissingParty,
    Question,
    Signal,
    SuggestionItem,
    TopicAdvice,
    UtteranceOut,
    ValueEvidenceOut,
)
from agent.prompts import load_text, load_yaml, render
from agent.reasoner.base import MeetingView
from agent.synthesis.models import SynthesisDraftItem

MAX_QUESTIONS = 6
POINTS_CACHED = 4096
QUOTE_WORDS = 12
NOT_HEARD_AFTER = 12  # utterances without a turn before a party counts as not heard
TOP_VALUES = 2
VALUE_RELATIVE_CUT = 0.5  # a value is shown when its score is at least half the strongest


def msg(language: str, key: str, **variables: object) -> str:
    """A message from ``prompts/messages.yaml`` in the meeting's language."""
    node: Any = load_yaml("messages.yaml")[language]
    for part in key.split("."):
        node = node[part]
    return render(str(node), **variables)


def value_label(value_id: str, language: str) -> str:
    """The organisational label of a value in the meeting's language."""
    entry = load_yaml("values.yaml").get(value_id)
    if not entry:
        return value_id
    return str(entry["label"][language])


_CONTINUES = re.compile(r"(?:en|of|want|dus|and|or|so|because)\b", re.IGNORECASE)


def short_quote(sentence: str, max_words: int = QUOTE_WORDS) -> str:
    """A verbatim fragment of at most ``max_words`` words, without end punctuation.

    Long sentences are cut at a clause boundary when one gives a fragment of at least
    four words, so a quote reads as a thought rather than a sentence cut mid-phrase.
    """
    text = normalize_ws(sentence).rstrip(".!?…;:")
    if len(text.split(" ")) <= max_words:
        return text
    for clause in re.split(r"\s*[,;:–—]\s+", text):
        n = len(clause.split(" "))
        # A clause that opens with "en"/"and" continues the one before it; on its own it
        # reads out of context ("en niet op basis van wie het hardst roept").
        if 4 <= n <= max_words and not _CONTINUES.match(clause):
            return clause.rstrip(".!?…;:")
    return " ".join(text.split(" ")[:max_words]).rstrip(",;:")


def _pick(options: list[str], *key: str) -> str:
    digest = hashlib.sha256("|".join(key).encode()).digest()
    return options[digest[0] % len(options)]


def _cite(ref: str, participant: str, quote: str) -> Citation:
    if ref.startswith("position:"):
        return Citation(
            position_id=ref.removeprefix("position:"), participant=participant, quote=quote
        )
    return Citation(utterance_id=ref, participant=participant, quote=quote)


class LocalReasoner:
    """The default ``Reasoner``: offline and deterministic."""

    name = "local"

    def __init__(self) -> None:
        # (meeting, language, point id, members) -> the point as shown (None: one party);
        # shared between calls, so callers must not change what they get.
        self._points: OrderedDict[tuple[str, str, str, tuple[str, ...]], Agreement | None] = (
            OrderedDict()
        )

    # ---- start and frame ---------------------------------------------------------

    async def advise_topic(self, view: MeetingView) -> TopicAdvice:
        r = view.roster
        texts = [(f"position:{p.id}", p.text) for p in view.positions]
        texts += [(uid, view.utterances[uid].text) for uid in view.recent if uid in view.utterances]
        judgement = topic_rules.judge_topic(
            r.topic.kind, r.topic.title, r.topic.goal, r.language, [t for _, t in texts]
        )
        org_hint = " ".join([r.topic.title, r.topic.goal, *r.parties.values()])
        speaker_of = {f"position:{p.id}": p.participant for p in view.positions}
        speaker_of.update({u.id: u.speaker for u in view.utterances.values()})
        text_of = dict(texts)
        missing: list[MissingParty] = []
        for m in topic_rules.missing_parties(
            list(r.parties.values()), texts, r.language, org_hint=org_hint
        ):
            evidence = []
            for ref in m.evidence[:3]:
                if ref in text_of:
                    quote = _sentence_with(text_of[ref], m.name) or short_quote(text_of[ref], 20)
                    evidence.append(_cite(ref, speaker_of[ref], quote))
            missing.append(
                MissingParty(name=m.name, reason=m.reason, kind=m.kind, evidence=evidence)
            )
        return TopicAdvice(
            suitable=judgement.suitable, reason=judgement.reason, missing_parties=missing
        )

    async def draft_frame(self, view: MeetingView) -> list[SuggestionItem]:
        r = view.roster
        names = ", ".join(r.parties.values())
        text = render(
            load_text(f"frame.{r.language}.md"),
            title=r.topic.title,
            parties=names,
            goal=r.topic.goal,
        )
        return [SuggestionItem(kind="frame_draft", text=text)]

    # ---- agreements and differences ----------------------------------------------

    def _evidence(self, view: MeetingView, uid: str, others: Iterable[str]) -> Evidence | None:
        u = view.utterances.get(uid)
        if u is None:
            return None
        other_stems: set[str] = set()
        for o in others:
            if o != uid and o in view.utterances:
                other_stems |= content_stems(view.utterances[o].text, view.language)
        best = closest_sentence(u.text, other_stems, view.language)
        return Evidence(utterance_id=uid, speaker=u.speaker, party=u.party, quote=best)

    def _label(self, view: MeetingView, evidence: list[Evidence]) -> str:
        for ev in evidence:
            words = ev.quote.split()
            if len(words) >= 4:
                return label_of(ev.quote, view.language)
        return short_quote(evidence[0].quote, 14)

    def _agreement(self, view: MeetingView, pid: str, members: list[str]) -> Agreement | None:
        evidence = [e for m in members if (e := self._evidence(view, m, members))]
        parties = list(dict.fromkeys(e.party for e in evidence))
        if len(parties) < 2:
            return None  # agreement within one party is not a cross-party point
        return Agreement(
            id=pid,
            label=self._label(view, evidence),
            parties=parties,
            participants=list(dict.fromkeys(e.speaker for e in evidence)),
            all_parties=set(view.roster.speaking_parties) <= set(parties),
            evidence=evidence,
        )

    async def describe_agreements(
        self, view: MeetingView
    ) -> tuple[list[Agreement], list[Difference]]:
        agreements: list[Agreement] = []
        for point in view.tracker["points"]:
            members = [m for m in point["members"] if m in view.utterances]
            members.sort(key=lambda m: view.utterances[m].seq)
            # A point reads only its members' words, which never change: most points are
            # the same as after the previous utterance, so they are written once.
            key = (view.roster.meeting_id, view.language, point["id"], tuple(members))
            if key not in self._points:
                self._points[key] = self._agreement(view, point["id"], members)
                while len(self._points) > POINTS_CACHED:
                    self._points.popitem(last=False)
            agreement = self._points[key]
            if agreement is not None:
                agreements.append(agreement)
        agreements.sort(key=lambda a: (not a.all_parties, -len(a.parties), int(a.id[1:])))
        differences: list[Difference] = []
        for d in view.tracker["differences"]:
            members = [m for m in d["members"] if m in view.utterances]
            evidence = [e for m in members if (e := self._evidence(view, m, members))]
            by_party: dict[str, list[Evidence]] = {}
            for e in evidence:
                by_party.setdefault(e.party, []).append(e)
            if len(by_party) < 2:
                continue
            # Labelled by the target's sentence that the replies answer (its evidence quote).
            quotes = {e.utterance_id: e.quote for e in evidence}
            label_src = quotes.get(d["target"], evidence[0].quote)
            differences.append(
                Difference(
                    id=d["id"],
                    label=msg(
                        view.language,
                        "difference_label",
                        label=label_of(split_sentences(label_src)[0], view.language),
                    ),
                    sides=[
                        DifferenceSide(
                            party=p,
                            participants=list(dict.fromkeys(e.speaker for e in evs)),
                            evidence=evs,
                        )
                        for p, evs in by_party.items()
                    ],
                )
            )
        return agreements, differences

    # ---- values and questions -----------------------------------------------------

    async def value_map(self, view: MeetingView) -> dict[str, list[ValueEvidenceOut]]:
        out: dict[str, list[ValueEvidenceOut]] = {}
        for pid, tallies in view.values.items():
            ranked = sorted(tallies.items(), key=lambda kv: (-kv[1]["score"], kv[0]))
            if not ranked:
                continue
            top = ranked[0][1]["score"]
            chosen = [
                (v, t) for v, t in ranked[:TOP_VALUES] if t["score"] >= VALUE_RELATIVE_CUT * top
            ]
            out[pid] = [
                ValueEvidenceOut(
                    value=v,
                    label=value_label(v, view.language),
                    strength=round(t["score"], 3),
                    evidence=[_cite(e["ref"], e["participant"], e["quote"]) for e in t["evidence"]],
                )
                for v, t in chosen
            ]
        return out

    def _own_words(self, view: MeetingView, pid: str) -> list[str]:
        words = [p.text for p in view.positions if p.participant == pid]
        words += [u.text for u in view.utterances.values() if u.speaker == pid]
        return words

    def _grounds(self, view: MeetingView, pid: str) -> list[tuple[str | None, str, str]]:
        """(value id, ref, sentence) a question to ``pid`` can rest on, best first."""
        out: list[tuple[str | None, str, str]] = []
        tallies = view.values.get(pid, {})
        for v, t in sorted(tallies.items(), key=lambda kv: (-kv[1]["score"], kv[0])):
            for e in t["evidence"][:1]:
                out.append((v, e["ref"], e["quote"]))
        for p in view.positions:
            if p.participant == pid:
                for s in split_sentences(p.text)[:2]:
                    out.append((None, f"position:{p.id}", s))
        for uid in reversed(view.recent):
            u = view.utterances.get(uid)
            if u and u.speaker == pid and not u.text.rstrip().endswith("?"):
                out.append((None, uid, split_sentences(u.text)[0]))
        return out

    def _question(
        self,
        view: MeetingView,
        kind: str,
        pid: str,
        value: str | None,
        ref: str,
        sentence: str,
        other_party: str | None = None,
    ) -> Question | None:
        r = view.roster
        person = r.people[pid]
        quote = short_quote(sentence)
        bank = load_yaml(f"questions.{r.language}.yaml")[kind]
        template = _pick(bank, pid, value or "", kind, ref)
        text = render(
            template,
            name=person.first_name,
            quote=quote,
            other_party=r.party_name(other_party) if other_party else "",
        )
        addressees = [person.name, person.first_name, r.party_name(person.party)]
        check = qcheck.check_question(text, r.language, addressees, self._own_words(view, pid))
        if not check.passed:
            return None
        key = f"{pid}|{value or ref}|{kind}"
        return Question(
            id=hashlib.sha256(key.encode()).hexdigest()[:10],
            kind=kind,
            text=text,
            addressee=pid,
            party=person.party,
            grounded_in=_cite(ref, pid, quote),
            value=value,
        )

    async def propose_questions(self, view: MeetingView) -> list[Question]:
        r = view.roster
        turns = view.signals["turns"] if view.signals else {}
        people = [p for p in r.people.values() if not p.is_facilitator]
        people.sort(key=lambda p: (turns.get(p.id, 0), list(r.people).index(p.id)))
        out: list[Question] = []
        seen: set[str] = set()
        if view.step == "connection":
            # Newest differences first: those are on the table now. Enough is enough: a long
            # meeting's older differences are not re-checked after every utterance.
            for d in reversed(view.tracker["differences"]):
                if len(out) >= MAX_QUESTIONS:
                    break
                sides = [m for m in d["members"] if m in view.utterances]
                parties = list(dict.fromkeys(view.utterances[m].party for m in sides))
                for m in sides:
                    u = view.utterances[m]
                    other = next((p for p in parties if p != u.party), None)
                    if other is None or u.speaker in seen or r.people[u.speaker].is_facilitator:
                        continue
                    # The sentence that meets the other side, not a preamble ("Over Tiel
                    # zijn we het nog niet eens. Ik vind dat ..."), as evidence quotes it.
                    facing = [o for o in sides if view.utterances[o].party != u.party]
                    evidence = self._evidence(view, m, facing)
                    assert evidence is not None  # m is one of the view's utterances
                    q = self._question(view, "bridging", u.speaker, None, m, evidence.quote, other)
                    if q and q.id not in view.asked:
                        out.append(q)
                        seen.add(u.speaker)
            return out[:MAX_QUESTIONS]
        kinds = ["why_matters", "underlying_value", "example", "mutual"]
        for person in people:
            other = next((p for p in r.parties if p != person.party), None)
            for value, ref, sentence in self._grounds(view, person.id):
                if (value or ref) in seen:
                    continue
                start = kinds.index(_pick(kinds, person.id, value or ref))
                q = None
                for kind in kinds[start:] + kinds[:start]:
                    q = self._question(view, kind, person.id, value, ref, sentence, other)
                    if q is not None and q.id not in view.asked:
                        break
                    q = None
                if q is None:
                    continue
                out.append(q)
                seen.add(value or ref)
                break
            if len(out) >= MAX_QUESTIONS:
                break
        return out

    # ---- signals -------------------------------------------------------------------

    async def signals(self, view: MeetingView) -> list[Signal]:
        r, lang, s = view.roster, view.language, view.signals
        out: list[Signal] = []
        if not s:
            return out
        for uid, speaker, span in s["us_them"][-10:]:
            out.append(
                Signal(
                    kind="us_them",
                    message=msg(lang, "us_them", name=r.people[speaker].name, span=span),
                    participant=speaker,
                    party=r.party_of(speaker),
                    utterance_id=uid,
                    span=span,
                )
            )
        for uid, speaker, span in s["solution_talk"][-10:]:
            out.append(
                Signal(
                    kind="solution_talk",
                    message=msg(lang, "solution_talk", name=r.people[speaker].name, span=span),
                    participant=speaker,
                    party=r.party_of(speaker),
                    utterance_id=uid,
                    span=span,
                )
            )
        total_words = sum(s["words"].values()) or 1
        for pid in r.parties:
            members = [p.id for p in r.people.values() if p.party == pid]
            turns = sum(s["turns"].get(m, 0) for m in members)
            words = sum(s["words"].get(m, 0) for m in members)
            share = round(100 * words / total_words)
            out.append(
                Signal(
                    kind="speaking_share",
                    message=msg(
                        lang,
                        "speaking_share",
                        party=r.party_name(pid),
                        turns=turns,
                        words=words,
                        share=share,
                    ),
                    party=pid,
                    turns=turns,
                    words=words,
                    share=share,
                )
            )
        for pid in r.speaking_parties:
            members = [p.id for p in r.people.values() if p.party == pid]
            last = max((s["last_seq"].get(m, 0) for m in members), default=0)
            if s["utterances"] == 0:
                continue
            if last == 0:
                out.append(
                    Signal(
                        kind="not_heard",
                        message=msg(lang, "never_heard", party=r.party_name(pid)),
                        party=pid,
                    )
                )
            elif s["utterances"] - last >= NOT_HEARD_AFTER:
                # seq numbers are dense from 1, so this counts the turns since theirs
                out.append(
                    Signal(
                        kind="not_heard",
                        message=msg(lang, "not_heard", party=r.party_name(pid)),
                        party=pid,
                    )
                )
        for pair, count in sorted(s["questioning"].items()):
            asker, target = pair.split(">")
            out.append(
                Signal(
                    kind="questioning",
                    message=msg(
                        lang,
                        "questioning",
                        asker=_display(r, asker),
                        target=_display(r, target),
                        count=count,
                    ),
                    participant=asker if asker in r.people else None,
                )
            )
        return out

    # ---- consult -------------------------------------------------------------------

    async def answer(self, view: MeetingView, question: str) -> ConsultAnswer:
        lang = view.language
        intents = load_yaml("consult.yaml")[lang]
        q = fold(question)
        intent = next(
            (name for name, keys in intents.items() if any(k in q for k in keys)), "search"
        )
        if intent == "ask":
            qs = await self.propose_questions(view)
            if qs:
                return ConsultAnswer(
                    answer=f"{msg(lang, 'consult_ask')} {qs[0].text}", evidence=[qs[0].grounded_in]
                )
        if intent == "agree":
            agreements, _ = await self.describe_agreements(view)
            if agreements:
                lines = [msg(lang, "consult_agree")] + [f"- {a.label}" for a in agreements[:5]]
                ev = [e.citation() for a in agreements[:5] for e in a.evidence]
                return ConsultAnswer(answer="\n".join(lines), evidence=ev)
            return ConsultAnswer(answer=msg(lang, "no_agreements"))
        if intent == "differences":
            _, diffs = await self.describe_agreements(view)
            if diffs:
                lines = [msg(lang, "consult_differences")] + [f"- {d.label}" for d in diffs[:5]]
                ev = [e.citation() for d in diffs[:5] for side in d.sides for e in side.evidence]
                return ConsultAnswer(answer="\n".join(lines), evidence=ev)
            return ConsultAnswer(answer=msg(lang, "no_differences"))
        if intent == "not_heard":
            quiet = [s.message for s in await self.signals(view) if s.kind == "not_heard"]
            text = (
                "\n".join([msg(lang, "consult_not_heard"), *quiet])
                if quiet
                else msg(lang, "consult_all_heard")
            )
            return ConsultAnswer(answer=text)
        return self._search(view, question)

    def _search(self, view: MeetingView, question: str) -> ConsultAnswer:
        lang = view.language
        want = content_stems(question, lang)
        scored: list[tuple[int, str, str, str]] = []
        for p in view.positions:
            for s in split_sentences(p.text):
                scored.append(
                    (len(want & content_stems(s, lang)), f"position:{p.id}", p.participant, s)
                )
        for uid in view.recent:
            u = view.utterances.get(uid)
            if u is None:
                continue
            for s in split_sentences(u.text):
                scored.append((len(want & content_stems(s, lang)), uid, u.speaker, s))
        hits = sorted((x for x in scored if x[0] > 0), key=lambda x: -x[0])[:3]
        if not hits:
            return ConsultAnswer(answer=msg(lang, "consult_nothing"))
        lines = [msg(lang, "consult_unknown")]
        lines += [f"- {view.roster.people[p].name}: '{s}'" for _, _, p, s in hits]
        return ConsultAnswer(
            answer="\n".join(lines), evidence=[_cite(ref, p, s) for _, ref, p, s in hits]
        )

    # ---- synthesis -------------------------------------------------------------------

    async def write_synthesis(self, view: MeetingView) -> list[SynthesisDraftItem]:
        """Templates from ``prompts/synthesis.<lang>.yaml`` with extractive summaries."""
        # Imported here: the writer uses this module's helpers (short_quote), so a
        # module-level import would be circular.
        from agent.synthesis.writer import write_local

        return await write_local(self, view)


def _display(r: Any, ident: str) -> str:
    if ident in r.people:
        return str(r.people[ident].name)
    return str(r.party_name(ident))


_CUE_PREFIX = re.compile(
    r"^(ja|nee|eens|precies|klopt|inderdaad|absoluut|yes|no|agreed|exactly|indeed|same here|"
    r"i agree|ik ben het (daar |er )?(helemaal |volledig )?mee eens)[,.:!;]?\s+",
    re.IGNORECASE,
)


def _strip_cue(text: str) -> str:
    stripped = _CUE_PREFIX.sub("", text.strip())
    return stripped[:1].upper() + stripped[1:] if stripped else text


@functools.cache
def _label_frames(language: str) -> tuple[re.Pattern[str], ...]:
    frames = load_yaml("lexicons/agreement.yaml")["label_frames"][language]
    return tuple(re.compile(p, re.IGNORECASE) for p in frames)


LABEL_MIN_WORDS = 4  # what is left after a frame must still say something


def label_of(sentence: str, language: str, max_words: int = 14) -> str:
    """A short label from one sentence: without an opening cue ("Eens, ...") or a frame
    ("En ik denk dat ...", "For us the important thing is ..."), then cut to a thought of at
    most ``max_words`` words. Still a verbatim piece of the sentence."""
    text = _strip_cue(sentence)
    for _ in range(2):
        for frame in _label_frames(language):
            rest = frame.sub("", text, count=1)
            if rest != text and len(rest.split()) >= LABEL_MIN_WORDS:
                text = rest
                break
        else:
            break
    label = short_quote(text, max_words)
    return label[:1].upper() + label[1:]


def _sentence_with(text: str, needle: str) -> str | None:
    stem = fold(needle)[:5]
    for s in split_sentences(text):
        if stem and stem in fold(s):
            return s
    return None


def utterance_words(u: UtteranceOut) -> int:
    return len(u.text.split())
