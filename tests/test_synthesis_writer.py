"""The local synthesis writer's cues, the grounding check and the two exports, read back."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
from docx import Document

from agent.models import Citation, MeetingOut, ParticipantOut, PartyOut, Topic
from agent.roster import Roster
from agent.synthesis.export import build_doc, to_docx, to_markdown
from agent.synthesis.grounding import ground
from agent.synthesis.models import (
    Basis,
    ItemState,
    SynthesisDraftItem,
    SynthesisItemOut,
    SynthesisOut,
)
from agent.synthesis.writer import next_step_sentences, open_point_sentences

# ---- cues ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("nl", "Ik stuur jullie volgende week de cijfers per opleiding."),
        ("nl", "Goed punt. Dat neem ik mee naar de planning."),
        ("nl", "De kinderopvang nodig ik de volgende keer uit."),
        ("nl", "Ik zorg dat de varianten een week van tevoren bij iedereen liggen."),
        ("nl", "Dat spreken we af: iedereen krijgt het verslag eerst te zien."),
        ("nl", "Ik ga kijken hoe we de mantelzorgers kunnen laten meepraten."),
        ("en", "Fair point. I'll invite the PhD council for the next round."),
        ("en", "Lisbon and Kraków join next time."),
        ("en", "I'll send the full budget breakdown to the council next week."),
    ],
)
def test_voiced_next_steps_are_found(lang: str, text: str) -> None:
    found = next_step_sentences(text, lang)
    assert found, text
    assert all(s in text for _, s in found)  # whole sentences, verbatim


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("nl", "Ik ga liever 35 minuten naar een SEH waar alles is."),
        ("nl", "Welke vragen moeten we volgende keer beantwoorden?"),
        ("nl", "Ik neem mee: het persoonlijk contact blijft."),
        ("nl", "Dan gaan we naar verbinding."),
        ("nl", "Voor ons staat de werkdruk van docenten voorop."),
        ("en", "Junior doctors need some control over their rota, or we'll keep losing them."),
        ("en", "Put the figures on the table and we'll have a more honest conversation."),
        ("en", "What I take away: support for children with special needs stays protected."),
        ("en", "I'll be honest, this worries me."),
        ("en", "If we close the ward, I will resign."),
    ],
)
def test_talk_that_is_no_next_step_is_not_one(lang: str, text: str) -> None:
    assert next_step_sentences(text, lang) == []


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("nl", "Keuzevrijheid en uitval als maatstaf blijven open punten.", True),
        ("nl", "We verschillen over de vraag of de SEH 's nachts dicht moet.", True),
        ("nl", "Over Polen verschillen we.", True),
        (
            "nl",
            "Ik wil eerst horen waar jullie het over eens zijn, nog niet waar we verschillen.",
            False,
        ),
        ("nl", "Blijft dat open?", False),
        ("en", "The merger is still open.", True),
        ("en", "We differ on central pooling and on how much heads decide.", True),
        ("en", "Let's first hear where we agree, not yet where we differ.", False),
        ("en", "The door is open to everyone.", False),
    ],
)
def test_open_points_named_in_the_meeting(lang: str, text: str, expected: bool) -> None:
    assert bool(open_point_sentences(text, lang)) is expected


# ---- grounding ------------------------------------------------------------------------------

SOURCES = {
    "u1": ("anna", "Voor ons staat de werkdruk van docenten voorop."),
    "u2": ("noor", "Dat merken wij  ook:\nals een docent uitvalt, valt de begeleiding weg."),
    "position:p1": ("anna", "De OR vindt dat de begroting de werkdruk serieus moet nemen."),
}


def _item(*cites: Citation, basis: Basis = "evidence") -> SynthesisDraftItem:
    return SynthesisDraftItem(
        key="k",
        section="agreements",
        text="t",
        evidence=list(cites),
        basis=basis,
    )


def test_grounding_keeps_only_citations_that_check_out() -> None:
    good = Citation(utterance_id="u2", participant="noor", quote="wij ook: als een docent uitvalt")
    position = Citation(position_id="p1", participant="anna", quote="de werkdruk serieus")
    wrong_person = Citation(utterance_id="u1", participant="noor", quote="de werkdruk")
    elsewhere = Citation(utterance_id="u99", participant="anna", quote="de werkdruk")
    made_up = Citation(utterance_id="u1", participant="anna", quote="de werkdruk is te hoog")
    result = ground([_item(good, position, wrong_person, elsewhere, made_up)], SOURCES)
    assert result.dropped_citations == 3 and result.dropped_items == 0
    assert result.items[0].evidence == [good, position]


def test_an_item_left_without_evidence_is_dropped_unless_it_rests_on_the_record() -> None:
    made_up = Citation(utterance_id="u1", participant="anna", quote="iedereen is het eens")
    result = ground([_item(made_up), _item(made_up, basis="record")], SOURCES)
    assert result.dropped_items == 1
    assert [i.basis for i in result.items] == ["record"]
    assert result.items[0].evidence == []


# ---- exports, read back ---------------------------------------------------------------------

ROSTER = Roster.from_meeting(
    MeetingOut(
        id="m1",
        topic=Topic(title="Begroting 2027", kind="budget", goal="Samen verkennen"),
        language="nl",
        step="synthesis",
        positions_locked=False,
        parties=[
            PartyOut(id="or", name="Ondernemingsraad"),
            PartyOut(id="sr", name="Studentenraad"),
        ],
        participants=[
            ParticipantOut(id="anna", name="Anna de Vries", party="or", role="participant"),
            ParticipantOut(id="noor", name="Noor Bakker", party="sr", role="participant"),
        ],
        utterance_count=2,
    )
)
Q_ANNA = Citation(utterance_id="u1", participant="anna", quote="de werkdruk van docenten voorop")
Q_NOOR = Citation(utterance_id="u2", participant="noor", quote="valt de begeleiding weg")
Q_POS = Citation(position_id="p1", participant="anna", quote="de werkdruk serieus")


def _synthesis(states: dict[str, ItemState]) -> SynthesisOut:
    items = [
        SynthesisItemOut(
            id="agree",
            section="agreements",
            text="Ondernemingsraad en Studentenraad: werkdruk telt",
            state=states["agree"],
            basis="evidence",
            evidence=[Q_ANNA, Q_NOOR],
        ),
        SynthesisItemOut(
            id="values",
            section="values",
            text="Ondernemingsraad: zorg voor collega's.",
            state=states["values"],
            basis="evidence",
            evidence=[Q_POS],
        ),
        SynthesisItemOut(
            id="rejected",
            section="next_steps",
            text="Afgewezen vervolgstap die nergens mag verschijnen",
            state=states["rejected"],
            basis="evidence",
            evidence=[Q_NOOR],
        ),
        SynthesisItemOut(
            id="share",
            section="participation",
            text="Spreektijd per partij: Ondernemingsraad 60%, Studentenraad 40%.",
            state=states["share"],
            basis="counts",
            evidence=[],
        ),
    ]
    approved = all(s != "draft" for s in states.values())
    return SynthesisOut(
        meeting_id="m1",
        language="nl",
        generated=True,
        approved=approved,
        shared=False,
        generated_at=datetime.now(UTC),
        items=items,
    )


DRAFT = {"agree": "accepted", "values": "draft", "rejected": "rejected", "share": "edited"}
APPROVED = {"agree": "accepted", "values": "rejected", "rejected": "rejected", "share": "edited"}


def test_markdown_draft_is_marked_and_rejected_items_never_appear() -> None:
    md = to_markdown(build_doc(_synthesis(DRAFT), ROSTER), ROSTER)  # type: ignore[arg-type]
    assert md.startswith("# Synthese: Begroting 2027\n")
    assert "CONCEPT" in md
    assert "Afgewezen vervolgstap" not in md
    assert "## Punten van overeenstemming" in md and "## Waarden per partij" in md
    assert "(concept)" in md  # the draft item is marked as such
    # Sources are numbered in reading order: the values section comes first.
    assert "> “de werkdruk van docenten voorop” (Anna de Vries) [2]" in md
    # The citation list names each source once, with who said or wrote it.
    assert "## Bronnen" in md
    assert "1\\. standpunt p1, Anna de Vries (Ondernemingsraad): “de werkdruk serieus”" in md
    assert "2\\. u1, Anna de Vries (Ondernemingsraad): “de werkdruk van docenten voorop”" in md


def test_markdown_of_an_approved_synthesis_holds_exactly_accepted_and_edited() -> None:
    md = to_markdown(build_doc(_synthesis(APPROVED), ROSTER), ROSTER)  # type: ignore[arg-type]
    assert "CONCEPT" not in md and "Door het team goedgekeurd" in md
    bullets = [line for line in md.splitlines() if line.startswith("- ")]
    assert bullets == [
        "- Ondernemingsraad en Studentenraad: werkdruk telt [1] [2]",
        "- Spreektijd per partij: Ondernemingsraad 60%, Studentenraad 40%.",
    ]
    assert "zorg voor collega" not in md and "Afgewezen" not in md
    assert "standpunt p1" not in md  # a rejected item's sources are not listed either


def _docx(states: dict[str, str]) -> Any:
    data = to_docx(build_doc(_synthesis(states), ROSTER), ROSTER)  # type: ignore[arg-type]
    return Document(io.BytesIO(data))


def test_docx_draft_reads_back_with_headings_quotes_sources_and_a_draft_header() -> None:
    doc = _docx(DRAFT)
    paragraphs = [(p.style.name, p.text) for p in doc.paragraphs]
    assert doc.core_properties.title == "Synthese: Begroting 2027"
    assert "CONCEPT" in doc.sections[0].header.paragraphs[0].text
    assert ("Title", "Synthese: Begroting 2027") in paragraphs
    headings = [t for style, t in paragraphs if style == "Heading 1"]
    assert headings == ["Waarden per partij", "Punten van overeenstemming", "Deelname", "Bronnen"]
    quotes = [t for style, t in paragraphs if style == "Quote"]
    assert "“de werkdruk van docenten voorop” (Anna de Vries) [2]" in quotes
    text = "\n".join(t for _, t in paragraphs)
    assert "Afgewezen vervolgstap" not in text
    assert "[3] standpunt p1" not in text and "[1] standpunt p1, Anna de Vries" in text


def test_docx_of_an_approved_synthesis_holds_exactly_accepted_and_edited() -> None:
    doc = _docx(APPROVED)
    bullets = [p.text for p in doc.paragraphs if p.style.name == "List Bullet"]
    assert bullets == [
        "Ondernemingsraad en Studentenraad: werkdruk telt [1] [2]",
        "Spreektijd per partij: Ondernemingsraad 60%, Studentenraad 40%.",
    ]
    assert doc.sections[0].header.paragraphs[0].text == ""
    assert "Door het team goedgekeurd" in [p.text for p in doc.paragraphs]
