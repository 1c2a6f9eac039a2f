"""Step 1, "start small": does the topic suit one table, and is a party missing?

* :func:`judge_topic` decides whether a topic fits a joint meeting. Budget, strategy,
  change and course decisions do, unless the title and goal show a purely practical
  matter; operational topics do not, unless the title or goal clearly concern the
  organisation's direction. Markers and the explanations (Dutch and English) are in
  ``prompts/topic.yaml``.
* :func:`missing_parties` lists stakeholder groups that are not at the table: first the
  groups that positions and utterances mention (those said to be absent rank highest),
  then the groups that usually take part for this type of organisation. Groups, their
  names and the sector profiles are in ``prompts/stakeholders.yaml``.

Both are deterministic and offline; they advise the facilitator, who decides.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Literal, cast

from agent.analysis.language import normalise_language
from agent.analysis.text import fold, normalize_ws, split_sentences, words
from agent.analysis.us_them import bounded
from agent.prompts import load_yaml, render

MissingKind = Literal["mentioned", "usual"]

# How much a sector keyword weighs by where it is found: a party's name says most
# about the organisation, the topic and hint next, a passing mention in a text least.
_WEIGHT_PARTY = 3
_WEIGHT_HINT = 2
_WEIGHT_TEXT = 1
# A sector needs at least this much evidence before its usual stakeholders are listed.
_MIN_SECTOR_SCORE = 3
# At most this many source ids are named in a reason.
_MAX_SOURCES_IN_REASON = 3


@dataclass(frozen=True)
class TopicJudgement:
    """Whether a topic suits a joint meeting, why (a sentence in the meeting's language),
    and the signals behind it (``kind:budget``, ``operational:rooster``, ...)."""

    suitable: bool
    reason: str
    signals: tuple[str, ...] = ()


@dataclass(frozen=True)
class MissingParty:
    """A stakeholder group that is not at the table.

    ``name`` is in the meeting's language and lower case where the language allows
    ("huurders", "nurses"). ``evidence`` holds the source ids that mention the group;
    it is empty for ``kind == "usual"``. ``absent_said`` is true when a text says the
    group is not there ("de huurders zitten hier niet").
    """

    name: str
    reason: str
    evidence: tuple[str, ...] = ()
    kind: MissingKind = "mentioned"
    group: str = ""
    absent_said: bool = False
    mentions: int = 0


# ------------------------------------------------------------------------------- topic


@functools.cache
def _topic_data() -> dict[str, Any]:
    return cast(dict[str, Any], load_yaml("topic.yaml"))


@functools.cache
def _marker_pattern(language: str, key: str) -> re.Pattern[str]:
    markers = [fold(str(m)) for m in _topic_data()[language][key]]
    escaped = sorted((re.escape(m) for m in markers), key=len, reverse=True)
    if language == "nl":
        # Dutch compounds: "schoonmaakrooster" contains "rooster".
        return re.compile("|".join(escaped))
    return re.compile(r"(?<![a-z])(?:" + "|".join(escaped) + ")")


def _markers(text: str, language: str, key: str) -> list[str]:
    """Distinct markers of ``key`` found in ``text``, in order of appearance."""
    found: list[str] = []
    for m in _marker_pattern(language, key).finditer(fold(normalize_ws(text))):
        if m.group() not in found:
            found.append(m.group())
    return found


def judge_topic(
    kind: str,
    title: str,
    goal: str,
    language: str,
    position_texts: Sequence[str] = (),
) -> TopicJudgement:
    """Judge whether a topic suits a joint meeting of all parties.

    ``kind`` is budget, strategy, change, course or operational. Title and goal decide;
    ``position_texts`` only add signals (``positions:course``, ``positions:operational``),
    because what participants write does not change what the meeting is about.
    """
    lang = normalise_language(language)
    data = _topic_data()
    texts = data[lang]
    reasons = texts["reasons"]
    kind = (kind or "").strip().lower()
    about = f"{title}\n{goal}"
    operational = _markers(about, lang, "operational_markers")
    course = _markers(about, lang, "course_markers")
    signals = [f"kind:{kind or 'unknown'}"]
    signals += [f"operational:{m}" for m in operational]
    signals += [f"course:{m}" for m in course]
    joined = "\n".join(position_texts)
    if joined.strip():
        if _markers(joined, lang, "course_markers"):
            signals.append("positions:course")
        if _markers(joined, lang, "operational_markers"):
            signals.append("positions:operational")
    label = str(texts["kind_labels"].get(kind, kind))

    if kind in data["course_kinds"]:
        if operational and not course:
            reason = render(
                reasons["operational_kind_with_markers"],
                kind_label=label,
                markers=", ".join(operational),
            )
            return TopicJudgement(False, reason, tuple(signals))
        return TopicJudgement(True, str(reasons["suitable"][kind]), tuple(signals))
    if course:
        template = reasons["operational_but_course"] if kind == "operational" else None
        template = template or reasons["suitable"]["other"]
        return TopicJudgement(True, render(template, markers=", ".join(course)), tuple(signals))
    if operational:
        reason = render(reasons["operational_with_markers"], markers=", ".join(operational))
    else:
        reason = str(reasons["operational"])
    return TopicJudgement(False, reason, tuple(signals))


# ----------------------------------------------------------------------------- parties


@dataclass(frozen=True)
class _Group:
    id: str
    name: dict[str, str]
    usual_name: dict[str, str]
    body: bool
    mentions: tuple[tuple[str, ...], ...]
    covered_by: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class _Sector:
    id: str
    label: dict[str, str]
    keywords: tuple[tuple[str, ...], ...]
    usual: tuple[tuple[str, ...], ...]


def _globs(items: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(fold(str(i)).split()) for i in items)


@functools.cache
def _stakeholders() -> tuple[dict[str, _Group], dict[str, _Sector], dict[str, re.Pattern[str]]]:
    data = cast(dict[str, Any], load_yaml("stakeholders.yaml"))
    groups: dict[str, _Group] = {}
    for gid, g in data["groups"].items():
        mentions = [m for lang in ("nl", "en") for m in g["mentions"].get(lang, [])]
        groups[gid] = _Group(
            id=gid,
            name={k: str(v) for k, v in g["name"].items()},
            usual_name={k: str(v) for k, v in g.get("usual_name", g["name"]).items()},
            body=bool(g.get("body", False)),
            mentions=_globs(mentions),
            covered_by=_globs(g["covered_by"]),
        )
    sectors = {
        sid: _Sector(
            id=sid,
            label={k: str(v) for k, v in s["label"].items()},
            keywords=_globs(s["keywords"]),
            usual=tuple(tuple(str(g) for g in seat) for seat in s["usual"]),
        )
        for sid, s in data["sectors"].items()
    }
    absent = {lang: bounded(cues) for lang, cues in data["absent_cues"].items()}
    return groups, sectors, absent


def _count(tokens: Sequence[str], patterns: Iterable[tuple[str, ...]]) -> int:
    """How many times any of the glob ``patterns`` matches at a position of ``tokens``."""
    hits = 0
    pats = tuple(patterns)
    for i in range(len(tokens)):
        for pat in pats:
            if i + len(pat) <= len(tokens) and all(
                fnmatchcase(tokens[i + j], p) for j, p in enumerate(pat)
            ):
                hits += 1
                break
    return hits


def _is_present(group: _Group, present_tokens: Sequence[list[str]]) -> bool:
    return any(_count(tokens, group.covered_by) for tokens in present_tokens)


def detect_sector(
    present: Sequence[str], texts: Sequence[tuple[str, str]], org_hint: str = ""
) -> str | None:
    """The most likely type of organisation (education, care, housing, municipality,
    company), from party names, the hint (e.g. topic title and goal) and the texts."""
    _, sectors, _ = _stakeholders()
    scores: dict[str, int] = {}
    for sid, sector in sectors.items():
        score = sum(_WEIGHT_PARTY * _count(words(p), sector.keywords) for p in present)
        score += _WEIGHT_HINT * _count(words(org_hint), sector.keywords)
        score += sum(_WEIGHT_TEXT * _count(words(t), sector.keywords) for _, t in texts)
        scores[sid] = score
    best = max(scores, key=lambda s: scores[s], default=None)
    if best is None or scores[best] < _MIN_SECTOR_SCORE:
        return None
    return best


@dataclass
class _Mention:
    sources: list[str] = field(default_factory=list)
    count: int = 0
    absent: bool = False
    first: int = 0


def _sources_text(sources: Sequence[str], sep: str) -> str:
    shown = list(sources[:_MAX_SOURCES_IN_REASON])
    if len(sources) > _MAX_SOURCES_IN_REASON:
        shown.append("…")
    return sep.join(shown)


def missing_parties(
    present: Sequence[str],
    texts: Sequence[tuple[str, str]],
    language: str,
    org_hint: str = "",
) -> list[MissingParty]:
    """Stakeholder groups that are not at the table, most pressing first.

    ``present`` are the names of the parties at the table; ``texts`` are
    ``(source_id, text)`` pairs from positions and utterances; ``org_hint`` is any extra
    text about the organisation or topic (e.g. the topic title and goal). Groups that a
    text says are absent come first, then other mentioned groups (most mentions first),
    then the usual stakeholders for the detected type of organisation.
    """
    lang = normalise_language(language)
    groups, sectors, absent_cues = _stakeholders()
    templates = _topic_data()[lang]["missing"]
    sep = str(templates["source_separator"])
    present_tokens = [words(p) for p in present if p.strip()]
    at_table = {gid for gid, g in groups.items() if _is_present(g, present_tokens)}

    mentioned: dict[str, _Mention] = {}
    order = 0
    for source_id, text in texts:
        for sentence in split_sentences(text):
            tokens = words(sentence)
            absent_here = any(cue.search(fold(sentence)) for cue in absent_cues.values())
            for gid, group in groups.items():
                if gid in at_table:
                    continue
                hits = _count(tokens, group.mentions)
                if not hits:
                    continue
                order += 1
                m = mentioned.setdefault(gid, _Mention(first=order))
                m.count += hits
                m.absent = m.absent or absent_here
                if source_id not in m.sources:
                    m.sources.append(source_id)

    out: list[MissingParty] = []
    ranked = sorted(mentioned.items(), key=lambda kv: (not kv[1].absent, -kv[1].count, kv[1].first))
    for gid, m in ranked:
        group = groups[gid]
        key = "mentioned_absent" if m.absent else "mentioned"
        key += "_body" if group.body else ""
        name = group.name[lang]
        reason = render(templates[key], name=name, sources=_sources_text(m.sources, sep))
        out.append(
            MissingParty(
                name=name,
                reason=reason,
                evidence=tuple(m.sources),
                kind="mentioned",
                group=gid,
                absent_said=m.absent,
                mentions=m.count,
            )
        )

    sector_id = detect_sector(present, texts, org_hint)
    if sector_id is not None:
        sector = sectors[sector_id]
        listed = {p.group for p in out}
        for seat in sector.usual:
            if any(g in at_table or g in listed for g in seat):
                continue
            # Name the alternative the texts use most ("leerlingen" at a school).
            gid = max(
                seat, key=lambda g: (mentioned[g].count if g in mentioned else 0, -seat.index(g))
            )
            group = groups[gid]
            name = group.usual_name[lang]
            key = "usual_body" if group.body else "usual"
            reason = render(templates[key], name=name, sector=sector.label[lang])
            out.append(MissingParty(name=name, reason=reason, kind="usual", group=gid))
            listed.add(gid)

    # Two groups can share a name in one language ("supervisory board"); keep the first.
    seen: set[str] = set()
    unique: list[MissingParty] = []
    for party in out:
        if party.name not in seen:
            seen.add(party.name)
            unique.append(party)
    return unique
