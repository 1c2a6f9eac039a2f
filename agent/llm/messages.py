"""The prompt of each task: a system prompt that declares the meeting to be data, a task
prompt, and the meeting itself as one delimited block of JSON lines.

The block is built so that nothing inside it can pass for the prompt around it:

- every text is JSON-encoded, so it is a quoted string, and ``<`` is escaped, so no text
  can close the ``<meeting-data>`` tag early, whatever it contains;
- the opening tag carries an id derived from a secret of this process and the meeting,
  so a text cannot predict it and imitate it;
- everything in it is pseudonymised first (:mod:`agent.llm.pseudonym`).

The order of the prompt is chosen for prompt caching: the system prompt is the same for
every task of a meeting; then the task's instructions, the same for every call of that
task in a step; then the data block, which only grows at its end as the meeting goes on;
then what changes from call to call (the values heard so far, the facilitator's
question) and a closing line. Each task template marks where the block goes with
``$data``. A server that keeps the longest common prefix of earlier requests (llama.cpp
with its prompt cache on, vLLM, OpenAI) then only reads what was said since the last
call of the same task, even when tasks take turns.

The block is also what the per-call token cap trims: when the prompt would be too long,
the oldest utterances go first, then the tails of positions.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from agent.analysis.text import split_sentences
from agent.errors import ConfigurationError
from agent.llm.client import Message, estimate_tokens
from agent.llm.errors import BudgetExhausted
from agent.llm.pseudonym import Masked, Pseudonymiser
from agent.llm.wire import constrain, json_schema, pin
from agent.prompts import load_text, render
from agent.reasoner.base import MeetingView

POSITION_CHARS = 2400  # a position is sent up to about this many characters, whole sentences
TRIM_BLOCK = 8  # utterances are trimmed in blocks of this many, see data_block
_SECRET = secrets.token_bytes(16)  # per process: block ids cannot be known in advance
SCHEMA_INTRO = {"nl": "Schema van je antwoord:", "en": "Schema of your reply:"}


def block_id(meeting_id: str) -> str:
    """The id of a meeting's data block: stable within the process, unguessable outside."""
    return hashlib.sha256(_SECRET + meeting_id.encode()).hexdigest()[:12]


@dataclass
class Source:
    """One utterance or position as the validator knows it."""

    ref: str  # "u12" or "position:p3"
    participant: str
    party: str
    masked: Masked
    seq: int = 0  # 0 for positions


@dataclass
class Sources:
    """Everything of this meeting that a citation may point to, masked once."""

    by_ref: dict[str, Source] = field(default_factory=dict)

    def of(self, participant: str) -> list[Masked]:
        return [s.masked for s in self.by_ref.values() if s.participant == participant]

    def all(self) -> list[Masked]:
        return [s.masked for s in self.by_ref.values()]


def sources_of(view: MeetingView, pseudo: Pseudonymiser) -> Sources:
    """Every utterance and position in ``view``, masked."""
    out = Sources()
    r = view.roster
    for p in view.positions:
        party = r.people[p.participant].party if p.participant in r.people else ""
        out.by_ref[f"position:{p.id}"] = Source(
            f"position:{p.id}", p.participant, party, pseudo.mask(p.text)
        )
    for u in sorted(view.utterances.values(), key=lambda u: u.seq):
        out.by_ref[u.id] = Source(u.id, u.speaker, u.party, pseudo.mask(u.text), u.seq)
    return out


def _clip(text: str, limit: int) -> str:
    """A prefix of whole sentences of at most ``limit`` characters (quotes stay verbatim)."""
    if len(text) <= limit:
        return text
    kept: list[str] = []
    size = 0
    for s in split_sentences(text):
        if size + len(s) + 1 > limit and kept:
            break
        kept.append(s)
        size += len(s) + 1
    return " ".join(kept)[: max(limit, 1)]


def _line(record: dict[str, Any]) -> str:
    # "<" escaped: a text can never contain the closing tag of the block.
    return json.dumps(record, ensure_ascii=False).replace("<", "\\u003c")


@dataclass(frozen=True)
class Block:
    text: str
    nonce: str
    refs: tuple[str, ...]  # what was sent, in order
    texts: dict[str, str] = field(default_factory=dict)  # ref -> the text as sent (masked)


def data_block(
    view: MeetingView,
    pseudo: Pseudonymiser,
    sources: Sources,
    refs: Sequence[str],
    token_room: int,
) -> Block:
    """The delimited block for ``refs`` (positions and utterances, in that order), trimmed
    to ``token_room`` tokens: oldest utterances first, then positions from the end."""
    positions = [r for r in refs if r.startswith("position:") and r in sources.by_ref]
    utterances = [r for r in refs if not r.startswith("position:") and r in sources.by_ref]
    utterances.sort(key=lambda r: sources.by_ref[r].seq)
    step_of = {u.id: u.step for u in view.utterances.values()}

    sent: dict[str, str] = {}

    def record(ref: str, clip: int | None) -> str:
        s = sources.by_ref[ref]
        rec: dict[str, Any] = {"id": ref, "speaker": pseudo.person(s.participant)}
        if s.party in view.roster.parties:
            rec["party"] = pseudo.party(s.party)
        if ref.startswith("position:"):
            rec["kind"] = "written position"
            rec["text"] = _clip(s.masked.text, clip or POSITION_CHARS)
        else:
            rec["step"] = step_of.get(ref, "")
            rec["text"] = s.masked.text
        sent[ref] = rec["text"]
        return _line(rec)

    pos_lines = {r: record(r, None) for r in positions}
    utt_lines = {r: record(r, None) for r in utterances}

    def size() -> int:
        return sum(estimate_tokens(x) for x in (*pos_lines.values(), *utt_lines.values())) + 30

    if size() > token_room:
        while size() > token_room and utt_lines:
            utt_lines.pop(next(iter(utt_lines)))  # the oldest utterance goes first
        # Then up to a block boundary, so the next calls send the same beginning and a
        # server's prefix cache keeps working until the next boundary.
        while utt_lines and sources.by_ref[next(iter(utt_lines))].seq % TRIM_BLOCK != 1:
            utt_lines.pop(next(iter(utt_lines)))
    clip = POSITION_CHARS
    while size() > token_room and pos_lines and clip > 200:
        clip //= 2
        pos_lines = {r: record(r, clip) for r in pos_lines}
    if size() > token_room:
        raise BudgetExhausted("the meeting data does not fit the per-call token cap")
    body = "\n".join([*pos_lines.values(), *utt_lines.values()])
    nonce = block_id(view.roster.meeting_id)
    text = f'<meeting-data id="{nonce}">\n{body}\n</meeting-data>'
    refs_sent = (*pos_lines, *utt_lines)
    return Block(text=text, nonce=nonce, refs=refs_sent, texts={r: sent[r] for r in refs_sent})


def system_prompt(view: MeetingView, pseudo: Pseudonymiser) -> str:
    """The rules and the table; the same for every task of one meeting."""
    r = view.roster
    return render(
        load_text(f"llm/system.{r.language}.md"),
        topic=pseudo.mask(r.topic.title).text,
        goal=pseudo.mask(r.topic.goal).text,
        nonce=block_id(r.meeting_id),
        roster="\n".join(f"- {line}" for line in pseudo.roster_lines()),
    )


@dataclass(frozen=True)
class Prompt:
    """The messages of one call and the schema its reply must fit.

    ``schema`` goes along as the response format. ``grammar`` is the same schema pinned
    down further (:func:`agent.llm.wire.pin`), for servers that compile a schema into a
    grammar. ``schema_hint`` is the schema as text for the prompt, which only a server
    that enforces no schema at all needs (plain JSON mode); the client adds it then.
    """

    messages: list[Message]
    schema: dict[str, Any]
    grammar: dict[str, Any] | None = None
    schema_hint: str = ""


def build(
    task: str,
    view: MeetingView,
    pseudo: Pseudonymiser,
    sources: Sources,
    refs: Sequence[str],
    model: type[BaseModel],
    max_prompt_tokens: int,
    *,
    addressees: Sequence[str] | None = None,
    sections: Sequence[str] | None = None,
    quotable: Callable[[str, str], Sequence[str]] | None = None,
    items: Mapping[str, tuple[int, int | None]] | None = None,
    **variables: object,
) -> Prompt:
    """System and user message for ``task`` (``prompts/llm/<task>.<lang>.md``): the user
    message is the task template with the data block in its ``$data``. The schema of the
    reply limits ``source`` ids to the lines actually sent. With ``quotable`` (source id,
    text as sent -> the pieces a citation may quote), the grammar schema also pins every
    quote to those pieces, and with ``addressees`` each question to one addressee's own
    lines; ``items`` bounds its lists (see :func:`agent.llm.wire.pin`)."""
    lang = view.roster.language
    system = system_prompt(view, pseudo)
    name = f"llm/{task}.{lang}.md"
    template = load_text(name)
    if "$data" not in template:
        raise ConfigurationError(f"prompts/{name} has no $data: the meeting would not be sent")
    task_text = render(template, data="", **variables).strip()
    base = json_schema(model)

    def tail_for(sent: Sequence[str]) -> tuple[str, dict[str, Any]]:
        schema = constrain(base, sources=sent, addressees=addressees, sections=sections)
        text = json.dumps(schema, ensure_ascii=False, separators=(",", ":"))
        return f"\n\n{SCHEMA_INTRO[lang]}\n{text}", schema

    # Room for the data: the cap minus everything else, with every candidate id in the
    # schema (the most it can hold) and the schema in the prompt (plain JSON mode).
    widest, _ = tail_for(refs)
    room = (
        max_prompt_tokens
        - estimate_tokens(system)
        - estimate_tokens(task_text)
        - estimate_tokens(widest)
        - 20
    )
    if room <= 0:
        raise BudgetExhausted("the prompt alone exceeds the per-call token cap")
    block = data_block(view, pseudo, sources, refs, room)
    hint, schema = tail_for(block.refs)
    grammar = None
    if quotable is not None:
        quotes = {ref: list(quotable(ref, text)) for ref, text in block.texts.items()}
        owners = None
        if addressees is not None:
            owners = {
                who: [r for r in block.refs if pseudo.person(sources.by_ref[r].participant) == who]
                for who in addressees
            }
        grammar = pin(schema, quotes=quotes, owners=owners, items=items)
    messages: list[Message] = [
        {"role": "system", "content": system},
        {"role": "user", "content": render(template, data=block.text, **variables).strip()},
    ]
    return Prompt(messages, schema, grammar, hint)
