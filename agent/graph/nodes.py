"""Graph nodes (async, named after what they do) and ``route_*`` functions."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import numpy as np
from langgraph.runtime import Runtime

from agent.analysis import agreements
from agent.analysis.features import Features, analyse, centred, read_text
from agent.analysis.polarity import same_polarity
from agent.analysis.questions import closest_sentence, content_stems, named_stems
from agent.analysis.text import quote_in, split_sentences
from agent.graph.state import (
    AgentContext,
    EvidenceRef,
    MeetingState,
    PositionLink,
    SignalsState,
    ValueTally,
)
from agent.models import Citation, Step, SuggestionItem, Suggestions, UtteranceOut
from agent.reasoner.base import MeetingView
from agent.reasoner.local import msg, short_quote
from agent.roster import Roster
from agent.store import repo
from agent.values.classifier import get_classifier

RECENT_IN_VIEW = 30
EVIDENCE_PER_VALUE = 3
# Centred cosine between an utterance and a sentence of another party's position above
# which the two are shown as linked. Set by reading the links it gives on evals/scenarios:
# below it, most links only shared a word.
LINK_MIN = 0.52
LINKS_KEPT = 50
LINKS_SHOWN = 3


def empty_signals() -> SignalsState:
    return {
        "turns": {},
        "words": {},
        "last_seq": {},
        "questioning": {},
        "us_them": [],
        "solution_talk": [],
        "utterances": 0,
    }


def _roster(ctx: AgentContext, meeting_id: str) -> Roster:
    """The meeting's set-up, read once: topic, language, parties and people never change."""
    roster = ctx.rosters.get(meeting_id)
    if roster is None:
        with ctx.db.session() as s:
            roster = Roster.from_meeting(repo.meeting_out(s, meeting_id))
        ctx.rosters[meeting_id] = roster
    return roster


# ---- routing -------------------------------------------------------------------------


def route_event(
    state: MeetingState,
) -> Literal["analyse_utterances", "analyse_positions", "change_step", "answer_consult"]:
    """Send the event to the node that handles it."""
    kind = state["event"]["kind"]
    if kind == "utterances":
        return "analyse_utterances"
    if kind == "positions":
        return "analyse_positions"
    if kind == "consult":
        return "answer_consult"
    return "change_step"  # "step" and "synthesize" both (re)advise for a step


def route_step(
    state: MeetingState,
) -> Literal[
    "advise_start", "advise_frame", "advise_values", "advise_connection", "advise_synthesis"
]:
    """After the derived state is updated, advise for the current step."""
    step = state.get("step", "start")
    if step == "frame":
        return "advise_frame"
    if step == "values":
        return "advise_values"
    if step == "connection":
        return "advise_connection"
    if step == "synthesis":
        return "advise_synthesis"
    return "advise_start"


# ---- analysis nodes ---------------------------------------------------------------------


def _add_value_evidence(
    values: dict[str, dict[str, ValueTally]],
    participant: str,
    ref: str,
    sentences: list[str],
    scored: list[tuple[int, str, float]],
) -> None:
    tallies = values.setdefault(participant, {})
    for idx, value, score in scored:
        t = tallies.setdefault(value, {"score": 0.0, "n": 0, "evidence": []})
        t["score"] = round(t["score"] + score, 4)
        t["n"] += 1
        ev: EvidenceRef = {
            "ref": ref,
            "participant": participant,
            "quote": sentences[idx],
            "score": score,
        }
        t["evidence"] = sorted([*t["evidence"], ev], key=lambda e: -e["score"])[:EVIDENCE_PER_VALUE]


def _update_signals(signals: SignalsState, f: Features, roster: Roster) -> SignalsState:
    s: SignalsState = {
        "turns": dict(signals["turns"]),
        "words": dict(signals["words"]),
        "last_seq": dict(signals["last_seq"]),
        "questioning": dict(signals["questioning"]),
        "us_them": list(signals["us_them"]),
        "solution_talk": list(signals["solution_talk"]),
        "utterances": signals["utterances"] + 1,
    }
    s["turns"][f.speaker] = s["turns"].get(f.speaker, 0) + 1
    s["words"][f.speaker] = s["words"].get(f.speaker, 0) + sum(len(x.split()) for x in f.sentences)
    s["last_seq"][f.speaker] = f.seq
    if f.facilitator:
        return s
    for span in f.us_them[:1]:
        s["us_them"].append([f.id, f.speaker, span])
    if f.step == "values" and f.solution:
        s["solution_talk"].append([f.id, f.speaker, f.solution])
    if any(x.rstrip().endswith("?") for x in f.sentences):
        targets = [p for p in f.mentions_people if roster.party_of(p) != f.party]
        targets += [p for p in f.mentions_parties if p != f.party]
        for target in targets:
            key = f"{f.speaker}>{target}"
            s["questioning"][key] = s["questioning"].get(key, 0) + 1
    return s


async def analyse_utterances(state: MeetingState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Fold new utterances into agreements, signals and values, one at a time."""
    ctx = runtime.context
    mid = state["meeting_id"]
    roster = _roster(ctx, mid)
    ids = state["event"].get("utterance_ids", [])
    with ctx.db.session() as s:
        utts = ctx.utterances.get_many(
            mid, ids, lambda missing: repo.list_utterances(s, mid, ids=missing, limit=len(missing))
        )
        utts = [u for u in utts if u.seq > state.get("processed_seq", 0)]
        if not utts:
            return {}
        first = utts[0].seq
        window = ctx.windows.get(mid, first, agreements.WINDOW)
        if window is None:
            window = [
                (Features.from_json(feat), vec)
                for vec, feat in repo.features_between(s, mid, first - agreements.WINDOW, first - 1)
            ]
    tracker = state.get("tracker") or agreements.empty_tracker()
    signals = state.get("signals") or empty_signals()
    values: dict[str, dict[str, ValueTally]] = {}
    stored: list[tuple[Features, np.ndarray]] = []
    links = list(state.get("links", []))
    for u in utts:
        # The words are read here, while the embedding the service started ahead of this
        # event finishes on the other core; only the vector work waits for it.
        text = read_text(u, roster)
        feats, vec = await asyncio.to_thread(analyse, u, roster, ctx.embedder, text)
        link = await _link_to_positions(ctx, mid, u, feats, vec, roster)
        if link is not None:
            links = [*links, link][-LINKS_KEPT:]
        tracker = agreements.update(tracker, feats, vec, window, roster.language)
        signals = _update_signals(signals, feats, roster)
        if not feats.injection:
            if u.speaker not in values:
                values[u.speaker] = {
                    k: {"score": v["score"], "n": v["n"], "evidence": list(v["evidence"])}
                    for k, v in state.get("values", {}).get(u.speaker, {}).items()
                }
            _add_value_evidence(values, u.speaker, u.id, feats.sentences, feats.values)
        window = [*window, (feats, vec)][-agreements.WINDOW :]
        stored.append((feats, vec))
    with ctx.db.session() as s:
        for feats, vec in stored:
            repo.save_features(s, mid, feats.id, feats.seq, vec, feats.to_json())
    ctx.windows.put(mid, window)
    return {
        "tracker": tracker,
        "signals": signals,
        "values": values,
        "links": links,
        "processed_seq": utts[-1].seq,
    }


async def _link_to_positions(
    ctx: AgentContext, mid: str, u: UtteranceOut, f: Features, vec: np.ndarray, roster: Roster
) -> PositionLink | None:
    """The sentence of another party's position that this utterance comes closest to.

    Retrieval finds candidate passages (one per author); each passage's sentences are then
    compared with the utterance as the agreement tracker compares utterances: centred
    cosine at least :data:`LINK_MIN`, a shared content word that is not the meeting's
    own subject, and no polarity conflict. Only a statement links (not a question, an
    instruction or the facilitator's words), and only to another party.
    """
    if ctx.related is None or f.facilitator or f.injection or f.question_only:
        return None
    # "Ja, maar", sarcasm, a disagreement or a proposal do not echo what someone wrote,
    # however close the words.
    if f.contrast or f.sarcasm or f.solution or f.stance == "disagree":
        return None
    lang = roster.language
    said = set(f.stems) - _setting_stems(roster) - named_stems(u.text, lang)
    best: PositionLink | None = None
    for p in await ctx.related(mid, u.text):
        if p.party == u.party:
            continue
        sentences = [x for x in split_sentences(p.quote) if not x.rstrip().endswith("?")]
        if not sentences:
            continue
        vecs = await asyncio.to_thread(ctx.embedder.passages, sentences)
        for sentence, v in zip(sentences, vecs, strict=True):
            score = float(centred(v, ctx.embedder) @ vec)
            if score < LINK_MIN or (best is not None and score <= best["score"]):
                continue
            if not said & (content_stems(sentence, lang) - named_stems(sentence, lang)):
                continue
            if not same_polarity(u.text, sentence, lang):
                continue
            best = {
                "utterance": u.id,
                "speaker": u.speaker,
                "position_id": p.position_id,
                "author": p.participant,
                "quote": sentence,
                "score": round(score, 4),
            }
    return best


def _setting_stems(roster: Roster) -> set[str]:
    """Words of the meeting's title, goal and party names: shared by everyone, no link."""
    text = " ".join([roster.topic.title, roster.topic.goal, *roster.parties.values()])
    return content_stems(text, roster.language)


async def analyse_positions(state: MeetingState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Score the sentences of new positions on the value categories; forget replaced ones.

    A replaced or withdrawn position must not live on as evidence or in the scores, so
    when one is gone every participant's values are recomputed from the cached utterance
    features and the current positions. Sentences addressed to a machine ("ignore
    previous instructions") are never evidence of a value, as for utterances.
    """
    from agent.analysis.injection import looks_like_instruction

    ctx = runtime.context
    mid = state["meeting_id"]
    seen = set(state.get("positions_seen", []))
    with ctx.db.session() as s:
        current = repo.list_positions(s, mid)
    gone = seen - {p.id for p in current}
    positions = [p for p in current if p.id not in seen]
    if not positions and not gone:
        return {}
    clf = get_classifier()
    roster = _roster(ctx, mid)
    language = roster.language
    topic = " ".join(filter(None, [roster.topic.title, roster.topic.goal]))
    values: dict[str, dict[str, ValueTally]] = {}
    if gone:
        # Start every participant from nothing, then fold in what still stands.
        values = {pid: {} for pid in state.get("values", {})}
        with ctx.db.session() as s:
            cached = repo.features_between(s, mid, 1, state.get("processed_seq", 0))
        for _vec, data in cached:
            feats = Features.from_json(data)
            if not feats.injection:
                _add_value_evidence(values, feats.speaker, feats.id, feats.sentences, feats.values)
        positions = current
    for p in positions:
        sentences = split_sentences(p.text)
        if not sentences:
            continue
        vecs = await asyncio.to_thread(ctx.embedder.passages, sentences)
        # Text addressed to a machine is data, never evidence of a value (as for utterances).
        scored = [
            e
            for e in clf.sentence_evidence(
                clf.scores(vecs), texts=sentences, language=language, topic=topic
            )
            if not looks_like_instruction(sentences[e[0]])
        ]
        if p.participant not in values:
            values[p.participant] = {
                k: {"score": v["score"], "n": v["n"], "evidence": list(v["evidence"])}
                for k, v in state.get("values", {}).get(p.participant, {}).items()
            }
        _add_value_evidence(values, p.participant, f"position:{p.id}", sentences, scored)
    return {"values": values, "positions_seen": sorted(p.id for p in current)}


async def change_step(state: MeetingState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Record the step the facilitator moved to."""
    to = state["event"].get("to")
    return {"step": to} if to else {}


# ---- advice ---------------------------------------------------------------------------


def build_view(
    state: MeetingState, ctx: AgentContext, whole_transcript: bool = False
) -> MeetingView:
    """Load just the texts the derived state refers to, plus the recent tail.

    ``whole_transcript`` makes the tail the whole meeting, for on-demand checks that
    must see everything (the topic and missing-party check).
    """
    mid = state["meeting_id"]
    roster = _roster(ctx, mid)
    tracker = state.get("tracker") or agreements.empty_tracker()
    signals = state.get("signals") or empty_signals()
    values = state.get("values", {})
    wanted: set[str] = set()
    for p in tracker["points"]:
        wanted.update(p["members"])
    for d in tracker["differences"]:
        wanted.update(d["members"])
    for tallies in values.values():
        for t in tallies.values():
            wanted.update(e["ref"] for e in t["evidence"] if not e["ref"].startswith("position:"))
    for row in signals["us_them"] + signals["solution_talk"]:
        wanted.add(row[0])
    links = state.get("links", [])[-LINKS_KEPT:]
    wanted.update(link["utterance"] for link in links)
    with ctx.db.session() as s:
        recent = repo.recent_utterance_ids(
            s, mid, repo.max_seq(s, mid) if whole_transcript else RECENT_IN_VIEW
        )
        wanted.update(recent)
        utts = ctx.utterances.get_many(
            mid, sorted(wanted), lambda ids: repo.list_utterances(s, mid, ids=ids, limit=len(ids))
        )
        positions = repo.list_positions(s, mid)
    return MeetingView(
        roster=roster,
        step=state.get("step", "start"),
        tracker=tracker,
        signals=signals,
        values=values,
        positions=positions,
        utterances={u.id: u for u in utts},
        recent=recent,
        asked=frozenset(state.get("asked", [])),
        links=tuple(links),
    )


def _done(suggestions: Suggestions, asked: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"suggestions": suggestions.model_dump(mode="json")}
    if asked:
        out["asked"] = asked
    return out


def _headline(view: MeetingView, step: Step) -> str:
    return msg(view.language, f"headline.{step}")


async def advise_start(state: MeetingState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Topic check, missing parties and a digest of each participant's position."""
    ctx = runtime.context
    view = build_view(state, ctx)
    topic = await ctx.reasoner.advise_topic(view)
    lang = view.language
    items = [
        SuggestionItem(
            kind="topic",
            text=f"{msg(lang, 'topic_suitable' if topic.suitable else 'topic_unsuitable')}: "
            f"{topic.reason}",
        )
    ]
    for m in topic.missing_parties:
        items.append(
            SuggestionItem(
                kind="missing_party",
                text=msg(lang, "missing", name=m.name, reason=m.reason),
                citations=m.evidence,
            )
        )
    items += _position_digest(view)
    return _done(
        Suggestions(step="start", headline=_headline(view, "start"), items=items, topic=topic)
    )


def _position_digest(view: MeetingView) -> list[SuggestionItem]:
    """Per participant: their key statements (extractive, each cited) and the parties
    whose positions touch the same concerns (each cited with their own sentence)."""
    from agent.embeddings import get_embedder
    from agent.positions import digest_items

    # The process-wide embedder: the position sentences are already in its cache,
    # because analyse_positions embedded them.
    return digest_items(view.positions, view.roster, get_embedder())


def _common_ground(view: MeetingView) -> list[SuggestionItem]:
    """Concerns that several parties' positions share: leads, never agreements."""
    from agent.common_ground import common_ground_items
    from agent.embeddings import get_embedder

    return common_ground_items(view.positions, view.roster, get_embedder())


def _position_links(view: MeetingView) -> list[SuggestionItem]:
    """The latest moments where someone said what another party had written, both cited."""
    positions = {p.id: p for p in view.positions}
    r = view.roster
    items: list[SuggestionItem] = []
    shown: set[tuple[str, str]] = set()
    for link in reversed(view.links):
        pos, u = positions.get(link["position_id"]), view.utterances.get(link["utterance"])
        if pos is None or u is None or pos.participant != link["author"]:
            continue  # the position was replaced or withdrawn since
        if not quote_in(link["quote"], pos.text):
            continue
        if (u.speaker, link["quote"]) in shown:
            continue  # the same person echoing the same passage again says nothing new
        shown.add((u.speaker, link["quote"]))
        said = closest_sentence(u.text, content_stems(link["quote"], view.language), view.language)
        items.append(
            SuggestionItem(
                kind="position_link",
                text=msg(
                    view.language,
                    "position_link",
                    name=r.people[u.speaker].first_name,
                    author=r.people[pos.participant].name,
                    party=r.party_name(r.party_of(pos.participant)),
                    quote=short_quote(link["quote"]),
                ),
                citations=[
                    Citation(utterance_id=u.id, participant=u.speaker, quote=said),
                    Citation(position_id=pos.id, participant=pos.participant, quote=link["quote"]),
                ],
            )
        )
        if len(items) == LINKS_SHOWN:
            break
    return items


async def advise_frame(state: MeetingState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """A draft opening with ground rules and goal, possible common ground in the
    positions, and each position's key statements."""
    ctx = runtime.context
    view = build_view(state, ctx)
    items = await ctx.reasoner.draft_frame(view)
    items += _common_ground(view)
    items += _position_digest(view)
    return _done(Suggestions(step="frame", headline=_headline(view, "frame"), items=items))


async def advise_values(state: MeetingState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Values-probing questions, redirects for solution talk, possible common ground in
    the positions, and signals."""
    ctx = runtime.context
    view = build_view(state, ctx)
    questions = await ctx.reasoner.propose_questions(view)
    signals = await ctx.reasoner.signals(view)
    items: list[SuggestionItem] = []
    for sig in signals:
        if sig.kind == "solution_talk" and sig.participant:
            name = view.roster.people[sig.participant].first_name
            items.append(
                SuggestionItem(kind="redirect", text=msg(view.language, "redirect", name=name))
            )
    items += _position_links(view)
    items += _common_ground(view)
    return _done(
        Suggestions(
            step="values",
            headline=_headline(view, "values"),
            items=items,
            questions=questions,
            signals=signals,
        ),
        asked=[q.id for q in questions[:1]],
    )


async def advise_connection(state: MeetingState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Agreements first, then differences, then bridging questions."""
    ctx = runtime.context
    view = build_view(state, ctx)
    agreed, differences = await ctx.reasoner.describe_agreements(view)
    questions = await ctx.reasoner.propose_questions(view)
    lang = view.language

    items = [
        SuggestionItem(
            kind="agreement",
            text=msg(
                lang,
                "agreement_all" if a.all_parties else "agreement",
                parties=", ".join(view.roster.party_name(p) for p in a.parties),
                label=a.label,
            ),
            citations=[e.citation() for e in a.evidence],
        )
        for a in agreed
    ]
    items += [
        SuggestionItem(
            kind="difference",
            text=msg(lang, "difference", label=d.label),
            citations=[e.citation() for side in d.sides for e in side.evidence],
        )
        for d in differences
    ]
    items += _position_links(view)
    return _done(
        Suggestions(
            step="connection",
            headline=_headline(view, "connection"),
            items=items,
            agreements=agreed,
            differences=differences,
            questions=questions,
            signals=await ctx.reasoner.signals(view),
        )
    )


async def advise_synthesis(state: MeetingState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """A first synthesis: values per party, agreements, differences."""
    ctx = runtime.context
    view = build_view(state, ctx)
    agreed, differences = await ctx.reasoner.describe_agreements(view)
    value_map = await ctx.reasoner.value_map(view)
    lang = view.language
    items: list[SuggestionItem] = []
    for pid, name in view.roster.parties.items():
        members = [p for p in view.roster.people.values() if p.party == pid]
        labels = list(dict.fromkeys(v.label for m in members for v in value_map.get(m.id, [])))
        if labels:
            items.append(
                SuggestionItem(
                    kind="values",
                    text=msg(lang, "synthesis_values", party=name, values=", ".join(labels)),
                    citations=[
                        c for m in members for v in value_map.get(m.id, []) for c in v.evidence[:1]
                    ],
                )
            )
    if state.get("event", {}).get("kind") in ("step", "synthesize"):
        # Arriving at the synthesis step writes the synthesis for the team's review (new
        # utterances in this step do not: the facilitator regenerates on request). Imported
        # here to keep the synthesis feature inside this node.
        from agent.synthesis import engine as synthesis
        from agent.synthesis.writer import template

        report = await synthesis.generate(
            ctx.db,
            ctx.reasoner,
            build_view(state, ctx, whole_transcript=True),
            when_shared="skip",
        )
        summary = (
            template(lang, "report_frozen")
            if report is None
            else template(
                lang,
                "report",
                items=report.items,
                added=len(report.added),
                updated=len(report.updated),
                conflicts=len(report.conflicts),
            )
        )
        items.insert(0, SuggestionItem(kind="synthesis", text=summary))
    return _done(
        Suggestions(
            step="synthesis",
            headline=_headline(view, "synthesis"),
            items=items,
            agreements=agreed,
            differences=differences,
        )
    )


async def answer_consult(state: MeetingState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Answer the facilitator's free question, with evidence."""
    ctx = runtime.context
    view = build_view(state, ctx)
    answer = await ctx.reasoner.answer(view, state["event"].get("question", ""))
    return {"consult": answer.model_dump(mode="json")}


__all__ = ["centred", "short_quote"]
