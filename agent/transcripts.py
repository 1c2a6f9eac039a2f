"""Import a whole transcript: WebVTT (Teams and Zoom exports), SRT and plain lines.

Parsing uses maintained libraries (``webvtt-py``, ``srt``). Speaker names are mapped to
participants of the meeting; names that match nobody are reported all at once, unless
the caller gives an explicit mapping. Consecutive cues of one speaker become one
utterance, since exports cut a turn into cues every few seconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import srt
import webvtt
from webvtt.errors import MalformedFileError

from agent.analysis.text import fold, normalize_ws
from agent.errors import InvalidInput
from agent.models import UtteranceIn
from agent.roster import Person

Format = Literal["vtt", "srt", "text"]
_PREFIX = re.compile(r"^\s*(?P<name>[^:\n]{1,80}?)\s*:\s+(?P<text>.+)$", re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Line:
    """One turn as found in the file, before speakers are mapped."""

    speaker: str
    text: str


def detect_format(content: str, filename: str | None = None) -> Format:
    """The format from the file name, or else from the content."""
    name = (filename or "").lower()
    if name.endswith(".vtt") or content.lstrip("\ufeff").lstrip().startswith("WEBVTT"):
        return "vtt"
    if name.endswith(".srt") or re.match(r"\s*\d+\s*\n\d\d:\d\d:\d\d[,.]\d+\s*-->", content):
        return "srt"
    return "text"


def _split_prefix(text: str) -> tuple[str | None, str]:
    m = _PREFIX.match(text)
    if m and not m.group("name").strip().isdigit():
        return m.group("name").strip(), m.group("text").strip()
    return None, text.strip()


def parse(content: str, fmt: Format) -> list[Line]:
    """Turns in order. Raises :class:`InvalidInput` naming what could not be read."""
    raw: list[tuple[str | None, str]] = []
    if fmt == "vtt":
        try:
            captions = webvtt.from_string(content.lstrip("\ufeff"))
        except MalformedFileError as exc:
            raise InvalidInput(f"transcript: not a valid WebVTT file ({exc})") from exc
        for cap in captions.captions:
            text = normalize_ws(_TAGS.sub(" ", cap.text))
            voice = getattr(cap, "voice", None)
            raw.append((voice.strip(), text) if voice else _split_prefix(text))
    elif fmt == "srt":
        try:
            subtitles = list(srt.parse(content.lstrip("\ufeff")))
        except srt.SRTParseError as exc:
            raise InvalidInput(f"transcript: not a valid SRT file ({exc})") from exc
        for sub in subtitles:
            raw.append(_split_prefix(normalize_ws(_TAGS.sub(" ", sub.content))))
    else:
        for n, line in enumerate(content.splitlines(), start=1):
            if not line.strip():
                continue
            speaker, text = _split_prefix(line)
            if speaker is None:
                raise InvalidInput(f"transcript line {n}: expected 'Name: text', got {line[:60]!r}")
            raw.append((speaker, text))
    lines: list[Line] = []
    for n, (speaker, text) in enumerate(raw, start=1):
        if not text:
            continue
        if speaker is None:
            raise InvalidInput(f"transcript cue {n}: no speaker (use <v Name> or 'Name: text')")
        if lines and lines[-1].speaker == speaker:
            lines[-1] = Line(speaker, f"{lines[-1].text} {text}")
        else:
            lines.append(Line(speaker, text))
    if not lines:
        raise InvalidInput("transcript: no utterances found")
    return lines


def _keys(p: Person) -> set[str]:
    parts = p.name.split()
    keys = {fold(p.id), fold(p.name)}
    if len(parts) > 1:
        keys.add(fold(f"{' '.join(parts[1:])}, {parts[0]}"))  # "de Vries, Anna" (Teams)
    return keys


def map_speakers(
    lines: Sequence[Line], people: Mapping[str, Person], mapping: Mapping[str, str] | None = None
) -> list[UtteranceIn]:
    """Utterances with participant ids. Unknown names are listed together in one error."""
    wanted = {fold(k): v for k, v in (mapping or {}).items()}
    for name, pid in wanted.items():
        if pid not in people:
            raise InvalidInput(f"mapping: {name!r} maps to unknown participant {pid!r}")
    exact: dict[str, str] = {}
    firsts: dict[str, list[str]] = {}
    for p in people.values():
        for k in _keys(p):
            exact[k] = p.id
        firsts.setdefault(fold(p.first_name), []).append(p.id)

    def resolve(name: str) -> str | None:
        key = fold(re.sub(r"\s*\((gast|guest|extern|external)\)\s*$", "", name, flags=re.I))
        if key in wanted:
            return wanted[key]
        if key in exact:
            return exact[key]
        only = firsts.get(key, [])
        return only[0] if len(only) == 1 else None

    out: list[UtteranceIn] = []
    unknown: list[str] = []
    for line in lines:
        who = resolve(line.speaker)
        if who is None:
            if line.speaker not in unknown:
                unknown.append(line.speaker)
            continue
        out.append(UtteranceIn(speaker=who, text=line.text))
    if unknown:
        raise InvalidInput(
            "unknown speaker name(s) in transcript: "
            + ", ".join(repr(u) for u in unknown)
            + "; give a mapping {name: participant_id} or fix the names"
        )
    return out
