"""Markdown and DOCX renderings of a synthesis: headings per section, the items with their
quotes, and a numbered citation list. A draft is marked as one at the top (and, in DOCX, in
the page header). Rejected items never appear.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from agent.models import Citation
from agent.prompts import load_yaml, render
from agent.roster import Roster
from agent.synthesis.models import SECTIONS, SynthesisOut

MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _labels(language: str) -> dict[str, Any]:
    labels: dict[str, Any] = load_yaml(f"synthesis.{language}.yaml")["export"]
    return labels


def _sections(language: str) -> dict[str, str]:
    sections: dict[str, str] = load_yaml(f"synthesis.{language}.yaml")["sections"]
    return sections


def filename_stem(language: str) -> str:
    """The start of an export's file name in the meeting's language."""
    return str(_labels(language)["filename"])


@dataclass
class _Item:
    text: str
    state: str
    quotes: list[tuple[int, Citation]]  # (source number, citation)


@dataclass
class ExportDoc:
    """Everything an export shows, already filtered, numbered and labelled."""

    language: str
    title: str
    banner: str  # "DRAFT: ..." or "Approved by the team"
    draft: bool
    meta: str
    sections: list[tuple[str, list[_Item]]] = field(default_factory=list)
    sources: list[tuple[int, str, Citation]] = field(default_factory=list)  # (n, who, citation)
    state_labels: dict[str, str] = field(default_factory=dict)
    sources_heading: str = ""


def build_doc(synthesis: SynthesisOut, roster: Roster) -> ExportDoc:
    """Filter, order and number what the export shows.

    An approved synthesis shows exactly its accepted and edited items; a draft shows every
    item that is not rejected, each marked with its state.
    """
    lang = synthesis.language
    labels = _labels(lang)
    doc = ExportDoc(
        language=lang,
        title=render(labels["title"], title=roster.topic.title),
        banner=labels["approved"] if synthesis.approved else labels["draft"],
        draft=not synthesis.approved,
        meta=render(labels["meta"], parties=", ".join(roster.parties.values())),
        state_labels=dict(labels["state"]),
        sources_heading=labels["sources"],
    )
    numbers: dict[tuple[str, str], int] = {}
    headings = _sections(lang)
    for section in SECTIONS:
        items: list[_Item] = []
        for it in synthesis.items:
            if it.section != section or it.state == "rejected":
                continue
            if synthesis.approved and it.state not in ("accepted", "edited"):
                continue
            quotes: list[tuple[int, Citation]] = []
            for c in it.evidence:
                key = (c.ref, c.quote)
                if key not in numbers:
                    numbers[key] = len(numbers) + 1
                    doc.sources.append((numbers[key], _who(c, roster, labels), c))
                quotes.append((numbers[key], c))
            items.append(_Item(text=it.text, state=it.state, quotes=quotes))
        if items:
            doc.sections.append((headings[section], items))
    return doc


def _who(c: Citation, roster: Roster, labels: dict[str, Any]) -> str:
    person = roster.people.get(c.participant)
    name = person.name if person else c.participant
    party = roster.party_name(person.party) if person else ""
    if c.position_id is not None:
        return render(labels["position"], ref=c.position_id, name=name, party=party)
    return render(labels["utterance"], ref=c.utterance_id or "", name=name, party=party)


def _speaker(c: Citation, roster: Roster) -> str:
    person = roster.people.get(c.participant)
    return person.name if person else c.participant


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def _md(text: str) -> str:
    """One line of Markdown-safe text: whitespace collapsed, markup characters escaped."""
    line = _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))
    return "\\" + line if line[:1] in "#>+-" or re.match(r"\d+\.", line) else line


def _state_note(doc: ExportDoc, state: str) -> str:
    return f" ({doc.state_labels.get(state, state)})" if doc.draft else ""


def to_markdown(doc: ExportDoc, roster: Roster) -> str:
    """The synthesis as Markdown."""
    lines = [f"# {_md(doc.title)}", ""]
    lines += [f"> **{_md(doc.banner)}**" if doc.draft else f"*{_md(doc.banner)}*", ""]
    lines += [_md(doc.meta), ""]
    for heading, items in doc.sections:
        lines += [f"## {_md(heading)}", ""]
        for it in items:
            refs = "".join(f" [{n}]" for n, _ in it.quotes)
            lines.append(f"- {_md(it.text)}{_state_note(doc, it.state)}{refs}")
            for n, c in it.quotes:
                lines.append(f"  > “{_md(c.quote)}” ({_md(_speaker(c, roster))}) [{n}]")
        lines.append("")
    if doc.sources:
        lines += [f"## {_md(doc.sources_heading)}", ""]
        for n, who, c in doc.sources:
            lines.append(f"{n}\\. {_md(who)}: “{_md(c.quote)}”")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_docx(doc: ExportDoc, roster: Roster) -> bytes:
    """The synthesis as a Word document (python-docx), returned as bytes."""
    from docx import Document  # imported here: only exports need it

    d = Document()
    d.core_properties.title = doc.title
    d.core_properties.language = doc.language
    if doc.draft:
        # A page-header line on every page: the nearest thing to a watermark that
        # python-docx writes without raw XML, and it survives printing.
        d.sections[0].header.paragraphs[0].text = doc.banner
    d.add_heading(doc.title, level=0)
    banner = d.add_paragraph()
    banner.add_run(doc.banner).bold = doc.draft
    d.add_paragraph(doc.meta)
    for heading, items in doc.sections:
        d.add_heading(heading, level=1)
        for it in items:
            refs = "".join(f" [{n}]" for n, _ in it.quotes)
            d.add_paragraph(f"{it.text}{_state_note(doc, it.state)}{refs}", style="List Bullet")
            for n, c in it.quotes:
                d.add_paragraph(f"“{c.quote}” ({_speaker(c, roster)}) [{n}]", style="Quote")
    if doc.sources:
        d.add_heading(doc.sources_heading, level=1)
        for n, who, c in doc.sources:
            d.add_paragraph(f"[{n}] {who}: “{c.quote}”")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()
