"""Written positions: reading uploaded files, chunking the text, and the per-participant digest.

Nothing here knows about HTTP. Bad input raises the caller errors of :mod:`agent.errors`
(413 too large, 415 unsupported type, 422 empty, unreadable, encrypted, no text layer),
and the API maps them at its edge.

Every chunk and every quote is a contiguous span of the stored position text, with its
whitespace collapsed, so :func:`agent.analysis.text.quote_in` holds for all of them: the
agent never shows a participant words they did not write.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

import numpy as np

from agent.analysis.features import centred
from agent.analysis.injection import looks_like_instruction
from agent.analysis.questions import content_stems, named_stems, stem
from agent.analysis.text import normalize_ws, split_sentences
from agent.embeddings import Embedder
from agent.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from agent.models import Citation, PositionOut, SuggestionItem
from agent.prompts import load_yaml, render
from agent.roster import Roster

# ---- file types ---------------------------------------------------------------------------

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
TEXT = "text/plain"
MARKDOWN = "text/markdown"

# extension -> media type we store
EXTENSIONS: dict[str, str] = {
    ".txt": TEXT,
    ".text": TEXT,
    ".md": MARKDOWN,
    ".markdown": MARKDOWN,
    ".docx": DOCX,
    ".pdf": PDF,
}
# declared content type -> media type, for uploads without a usable file name
CONTENT_TYPES: dict[str, str] = {
    TEXT: TEXT,
    MARKDOWN: MARKDOWN,
    "text/x-markdown": MARKDOWN,
    DOCX: DOCX,
    PDF: PDF,
}
SUPPORTED_HINT = ".txt, .md, .docx or .pdf (or JSON {text})"
# Old binary Office files and encrypted OOXML files are both OLE compound documents.
_OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
# Control characters other than tab and newline say nothing and confuse the splitters.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FILENAME_MAX = 300


@dataclass(frozen=True)
class ParsedPosition:
    """The text of an upload, ready to store, with what it was read from."""

    text: str
    media_type: str
    filename: str | None


def check_size(n_bytes: int, max_bytes: int) -> None:
    """413 for an upload over the limit; called before anything is parsed."""
    if n_bytes > max_bytes:
        raise PayloadTooLarge(
            f"the position is {n_bytes} bytes; the limit is {max_bytes} bytes "
            "(RONDETAFEL_MAX_UPLOAD_BYTES)"
        )


def check_text(text: str, max_bytes: int) -> str:
    """A position sent as JSON ``{text}``: size (413) and emptiness (422) checks."""
    check_size(len(text.encode("utf-8")), max_bytes)
    cleaned = _clean(text)
    if not cleaned.strip():
        raise InvalidInput("empty: the position text contains no words")
    return cleaned


def safe_filename(filename: str | None) -> str | None:
    """The base name only (no client paths), cut to what the store keeps."""
    if not filename:
        return None
    name = PurePath(filename.replace("\\", "/")).name.strip()
    return name[:FILENAME_MAX] or None


def detect_type(data: bytes, filename: str | None, content_type: str | None) -> str:
    """The media type to parse ``data`` as, or 415 for a type we do not read.

    The file name's extension decides when there is one, because browsers often send
    ``application/octet-stream``; without one the declared type, and without a usable
    declared type the first bytes.
    """
    ext = PurePath(filename or "").suffix.lower()
    if ext:
        if ext in EXTENSIONS:
            return EXTENSIONS[ext]
        raise UnsupportedMediaType(f"unsupported file type {ext!r}: upload {SUPPORTED_HINT}")
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared in CONTENT_TYPES:
        return CONTENT_TYPES[declared]
    if declared and declared != "application/octet-stream":
        raise UnsupportedMediaType(
            f"unsupported content type {declared!r}: upload {SUPPORTED_HINT}"
        )
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        return DOCX
    if data.startswith(_OLE_MAGIC):
        raise UnsupportedMediaType(
            f"this looks like an old binary Office file: upload {SUPPORTED_HINT}"
        )
    return TEXT


def parse_upload(
    data: bytes, filename: str | None, content_type: str | None, max_bytes: int
) -> ParsedPosition:
    """Read an uploaded position file: size first (413), then type (415), then text (422)."""
    check_size(len(data), max_bytes)
    media_type = detect_type(data, filename, content_type)
    if not data:
        raise InvalidInput("empty: the uploaded file has no content (0 bytes)")
    if media_type == PDF:
        text = _read_pdf(data)
    elif media_type == DOCX:
        text = _read_docx(data)
    else:
        text = _decode_text(data)
    text = _clean(text)
    if not text.strip():
        kind = {PDF: "PDF", DOCX: "Word document"}.get(media_type, "text file")
        raise InvalidInput(f"empty: the {kind} contains no text")
    return ParsedPosition(text=text, media_type=media_type, filename=safe_filename(filename))


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    return _CONTROL.sub("", text).strip("\n")


def _decode_text(data: bytes) -> str:
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                raise InvalidInput(
                    f"unreadable: the text file says it is {codec} but is not ({exc.reason})"
                ) from exc
    if b"\x00" in data:
        raise InvalidInput("unreadable: the file holds binary data, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Dutch Windows editors still save as Windows-1252; it fails on its five unused bytes.
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            "unreadable: the text file is neither UTF-8 nor Windows-1252 text"
        ) from exc


def _read_docx(data: bytes) -> str:
    if data.startswith(_OLE_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in data:
            raise InvalidInput(
                "encrypted: the Word document is password-protected; remove the password "
                "and upload it again"
            )
        raise InvalidInput(
            "unreadable: this is an old Word (.doc) file, not .docx; save it as .docx or PDF"
        )
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[str] = []
        for item in document.iter_inner_content():
            if isinstance(item, Paragraph):
                blocks.append(item.text)
            elif isinstance(item, Table):
                for row in item.rows:
                    cells: list[str] = []
                    for cell in row.cells:
                        # a merged cell repeats in every grid column it spans
                        if cell.text.strip() and (not cells or cells[-1] != cell.text.strip()):
                            cells.append(cell.text.strip())
                    blocks.append(" | ".join(cells))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise InvalidInput(
            "unreadable: the .docx file could not be read (damaged, or not a Word document)"
        ) from exc
    except Exception as exc:  # lxml and zip errors of every kind: still the caller's file
        raise InvalidInput(
            f"unreadable: the .docx file could not be read ({type(exc).__name__})"
        ) from exc
    # Word paragraphs become text paragraphs, so chunks follow the author's paragraphs.
    return "\n\n".join(b.strip() for b in blocks if b.strip())


def _read_pdf(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise InvalidInput(
            "unreadable: the PDF could not be read (damaged, or not a PDF file)"
        ) from exc
    if reader.is_encrypted:
        # An owner password alone (printing or copying restrictions) opens with "".
        try:
            opened = bool(reader.decrypt(""))
        except (DependencyError, NotImplementedError, PyPdfError) as exc:
            raise InvalidInput(
                "encrypted: the PDF is encrypted in a way that cannot be opened; upload "
                "an unprotected copy"
            ) from exc
        if not opened:
            raise InvalidInput(
                "encrypted: the PDF is password-protected; remove the password and upload it again"
            )
    pages: list[str] = []
    try:
        for page in reader.pages:
            text = page.extract_text() or ""
            if text.strip():
                pages.append(text.strip())
    except Exception as exc:  # pypdf raises many types on damaged content streams
        raise InvalidInput(
            f"unreadable: the text of the PDF could not be extracted ({type(exc).__name__})"
        ) from exc
    if not pages:
        raise InvalidInput(
            "no text layer: the PDF contains no extractable text (a scan or an image?); "
            "upload a PDF with text, or the text itself"
        )
    return "\n\n".join(pages)


# ---- chunking -------------------------------------------------------------------------------

CHUNKER_VERSION = "2"  # part of every chunk's metadata: a new chunker makes the index stale
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n(?=\s*[-*•]\s)")
HEADING_CHARS = 100
SHORT_SHARE = 3  # a paragraph under a third of the target may join its neighbour


@dataclass(frozen=True)
class Span:
    """``text[start:end]`` of a position; ``text`` is that span with whitespace collapsed."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Chunk:
    """One retrievable piece of a position: whole sentences from one paragraph."""

    n: int
    start: int
    end: int
    text: str


def paragraphs(text: str) -> list[Span]:
    """Paragraph spans: blank lines and bullet items separate them (as in ``split_sentences``)."""
    out: list[Span] = []
    pos = 0
    for m in [*_PARAGRAPH_BREAK.finditer(text), None]:
        end = m.start() if m else len(text)
        piece = text[pos:end]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            trail = len(piece.rstrip())
            out.append(Span(pos + lead, pos + trail, normalize_ws(piece)))
        if m:
            pos = m.end()
    return out


def sentence_spans(text: str, within: Span | None = None) -> list[Span]:
    """Every sentence (as ``split_sentences`` cuts them) with its offsets in ``text``."""
    out: list[Span] = []
    for para in [within] if within else paragraphs(text):
        cursor = para.start
        for sentence in split_sentences(text[para.start : para.end]):
            pattern = r"\s+".join(re.escape(w) for w in sentence.split(" "))
            m = re.compile(pattern).search(text, cursor, para.end)
            if m is None:  # cannot happen: split_sentences only collapses whitespace
                continue
            out.append(Span(m.start(), m.end(), sentence))
            cursor = m.end()
    return out


_BULLET = re.compile(r"^\s*[-*•]\s")


def _is_heading(para: Span, n_sentences: int) -> bool:
    bare = para.text.lstrip("#*_ ").rstrip("*_ ")
    return (
        n_sentences <= 1
        and len(para.text) <= HEADING_CHARS
        and not bare.endswith((".", "!", "?", "…", ";"))
    )


def chunk_text(text: str, target_chars: int = 400) -> list[Chunk]:
    """Cut a position into chunks along paragraph and sentence boundaries.

    Sentences of one paragraph are packed up to ``target_chars``; a long paragraph is cut
    between sentences. Two exceptions keep
    related lines together: a heading or lead-in line ("Wat wij vragen:") stays with the
    paragraph under it, and the items of one bullet list may share a chunk. A sentence
    longer than twice the target is cut at word boundaries, so no chunk outgrows what the
    embedding model reads. A paragraph much shorter than the target shares a chunk with
    the one before it when both fit, so a chunk never splits a paragraph but may hold
    several short ones.
    """
    blocks: list[list[tuple[int, int]]] = []
    pending: list[tuple[int, int]] = []  # heading lines waiting for their paragraph
    in_list = False
    for para in paragraphs(text):
        sentences = sentence_spans(text, para)
        pieces = [p for s in sentences for p in _cut_long(text, s, target_chars)]
        bullet = bool(_BULLET.match(text[para.start : para.end]))
        if not bullet and _is_heading(para, len(sentences)):
            pending += pieces
            in_list = False
            continue
        if bullet and in_list and not pending:
            blocks[-1] += pieces
        else:
            blocks.append(pending + pieces)
        pending = []
        in_list = bullet
    if pending:
        blocks.append(pending)
    spans: list[tuple[int, int]] = []
    for block in blocks:
        whole = len(normalize_ws(text[block[0][0] : block[-1][1]])) if block else 0
        if spans and block:
            # Short paragraphs ("Dank u wel.") share a chunk with the one before when both
            # fit: each chunk costs an embedding call, and one line says little alone.
            prev = len(normalize_ws(text[spans[-1][0] : spans[-1][1]]))
            joined = len(normalize_ws(text[spans[-1][0] : block[-1][1]]))
            if joined <= target_chars and min(prev, whole) <= target_chars // SHORT_SHARE:
                spans[-1] = (spans[-1][0], block[-1][1])
                continue
        current: tuple[int, int] | None = None
        for a, b in block:
            if current and len(normalize_ws(text[current[0] : b])) <= target_chars:
                current = (current[0], b)
                continue
            if current:
                spans.append(current)
            current = (a, b)
        if current:
            spans.append(current)
    return [
        Chunk(n=i, start=a, end=b, text=normalize_ws(text[a:b])) for i, (a, b) in enumerate(spans)
    ]


def _cut_long(text: str, s: Span, target: int) -> list[tuple[int, int]]:
    if len(s.text) <= 2 * target:
        return [(s.start, s.end)]
    pieces: list[tuple[int, int]] = []
    start = last_end = s.start
    for m in re.finditer(r"\S+", text[s.start : s.end]):
        word_start, word_end = s.start + m.start(), s.start + m.end()
        if word_end - start > target and word_start > start:
            pieces.append((start, last_end))
            start = word_start
        last_end = word_end
    pieces.append((start, s.end))
    return pieces


# ---- the digest for the start and frame steps ------------------------------------------------

KEY_STATEMENTS = 2  # per participant
RELATED_PARTIES = 3  # per key statement
MIN_WORDS = 5  # shorter sentences are rarely a statement of a view
# Centred cosine between two sentences of different parties above which they may share
# a concern (they must also share a concern word). Looked over by hand on the positions
# of evals/retrieval: sentence similarity alone also links sentences that are only
# built alike ("X vraagt het college om ..."), so the shared word does most of the work.
CONCERN_SIMILARITY = 0.5
SPECIFIC_SHARE = 0.4  # a shared word counts when at most this share of positions use it


@dataclass(frozen=True)
class Related:
    """Another participant whose position touches the same concern, with their sentence."""

    participant: str
    party: str
    position_id: str
    quote: str
    similarity: float


@dataclass(frozen=True)
class KeyStatement:
    position_id: str
    participant: str
    quote: str
    related: list[Related] = field(default_factory=list)


@dataclass(frozen=True)
class ParticipantDigest:
    """A participant's key statements, each with the parties that wrote about the same."""

    participant: str
    party: str
    statements: list[KeyStatement]


def _candidates(p: PositionOut) -> list[str]:
    sentences = split_sentences(p.text)
    # Text addressed to a machine is kept and may be retrieved as the author's words,
    # but it is never presented as their key statement.
    usable = [s for s in sentences if not looks_like_instruction(s)]
    views = [s for s in usable if len(s.split()) >= MIN_WORDS and not s.rstrip().endswith("?")]
    return views or usable


@dataclass(frozen=True)
class ConcernEntry:
    """One position, ready for comparing concerns with the others."""

    position: PositionOut
    party: str
    sentences: list[str]
    vecs: np.ndarray  # centred, one row per sentence
    words: list[set[str]]  # the concern words of each sentence


def concern_entries(
    positions: Sequence[PositionOut],
    roster: Roster,
    embedder: Embedder,
    specific_share: float = SPECIFIC_SHARE,
) -> list[ConcernEntry]:
    """Each position's usable sentences, their centred vectors and their concern words.

    A concern word is a content word that few positions use and that is not the
    meeting's own subject, an addressee or a word of time or asking (``not_concerns`` in
    ``prompts/positions.yaml``): two texts that are merely both about "the organisation"
    do not share a concern.
    """
    lang = roster.language
    raw: list[tuple[PositionOut, str, list[str], list[set[str]]]] = []
    for p in positions:
        person = roster.people.get(p.participant)
        sentences = _candidates(p) if person else []
        if person and sentences:
            stems = [content_stems(x, lang) - named_stems(x, lang) for x in sentences]
            raw.append((p, person.party, sentences, stems))
    # A word most positions use ("hogeschool", "residents") names the setting, not a
    # concern; only words that few positions share can tie two of them to one concern.
    df: dict[str, int] = {}
    for *_, stems in raw:
        for w in set().union(*stems):
            df[w] = df.get(w, 0) + 1
    common = max(2, int(specific_share * len(raw)))
    lexicon = load_yaml("positions.yaml")
    skip = tuple(lexicon["not_concerns"][lang])
    numbers = {stem(str(w), lang) for w in lexicon["number_words"][lang]}
    setting = content_stems(f"{roster.topic.title} {roster.topic.goal}", lang)
    setting |= {w for name in roster.parties.values() for w in content_stems(name, lang)}

    def concern(w: str) -> bool:
        return (
            df[w] <= common
            and len(w) >= 5
            and not w.startswith(skip)
            and w not in setting
            and w not in numbers
        )

    return [
        ConcernEntry(
            p,
            party,
            sentences,
            np.stack([centred(v, embedder) for v in embedder.passages(sentences)]),
            [{w for w in ws if concern(w)} for ws in stems],
        )
        for p, party, sentences, stems in raw
    ]


def digest(
    positions: Sequence[PositionOut], roster: Roster, embedder: Embedder
) -> list[ParticipantDigest]:
    """Extractive digest: per participant, the sentences most central to their position.

    A key statement is related to another party's position when one of that party's
    sentences is close in meaning (centred cosine) and shares a concern word with it
    (:func:`concern_entries`).
    """
    entries = concern_entries(positions, roster, embedder)
    out: list[ParticipantDigest] = []
    for e in entries:
        statements: list[KeyStatement] = []
        for i in _key_indices(e.vecs):
            best: dict[str, Related] = {}  # per other party, its closest sentence
            for other in entries:
                if other.party == e.party:
                    continue
                sims = other.vecs @ e.vecs[i]
                for j in np.argsort(-sims):
                    if sims[j] < CONCERN_SIMILARITY:
                        break
                    if e.words[i] & other.words[j]:
                        r = Related(
                            other.position.participant,
                            other.party,
                            other.position.id,
                            other.sentences[j],
                            float(sims[j]),
                        )
                        if other.party not in best or r.similarity > best[other.party].similarity:
                            best[other.party] = r
                        break
            related = sorted(best.values(), key=lambda r: -r.similarity)[:RELATED_PARTIES]
            statements.append(
                KeyStatement(e.position.id, e.position.participant, e.sentences[i], related)
            )
        out.append(ParticipantDigest(e.position.participant, e.party, statements))
    return out


def _key_indices(vecs: np.ndarray) -> list[int]:
    """The most central sentences (closest to the position's mean), in document order."""
    if len(vecs) <= KEY_STATEMENTS:
        return list(range(len(vecs)))
    mean = vecs.mean(axis=0)
    centrality = vecs @ (mean / (np.linalg.norm(mean) or 1.0))
    chosen: list[int] = []
    for i in np.argsort(-centrality):
        # skip near-repeats of a chosen sentence: two ways of saying one thing
        if all(float(vecs[i] @ vecs[j]) < 0.9 for j in chosen):
            chosen.append(int(i))
        if len(chosen) == KEY_STATEMENTS:
            break
    return sorted(chosen)


def digest_items(
    positions: Sequence[PositionOut], roster: Roster, embedder: Embedder
) -> list[SuggestionItem]:
    """The digest as suggestion items: one per key statement, every claim cited."""
    texts = load_yaml("positions.yaml")[roster.language]
    base = load_yaml("messages.yaml")[roster.language]["position_digest"]
    items: list[SuggestionItem] = []
    for d in digest(positions, roster, embedder):
        person = roster.people[d.participant]
        for st in d.statements:
            text = render(base, name=person.name, party=roster.party_name(d.party), quote=st.quote)
            citations = [
                Citation(position_id=st.position_id, participant=st.participant, quote=st.quote)
            ]
            if st.related:
                names = ", ".join(
                    f"{roster.party_name(r.party)} ({roster.people[r.participant].name})"
                    for r in st.related
                )
                text = f"{text} {render(texts['related'], parties=names)}"
                citations += [
                    Citation(position_id=r.position_id, participant=r.participant, quote=r.quote)
                    for r in st.related
                ]
            items.append(SuggestionItem(kind="position_digest", text=text, citations=citations))
    return items
