"""Scripted OpenAI-compatible endpoints for the llm backend's tests.

:class:`ScriptedEndpoint` answers chat-completion requests from a script, through
``httpx2.MockTransport`` (the transport of the HTTP client the openai SDK 3.x uses), so
the real SDK code runs end to end and no request ever reaches the network. It records
every request body, so a test can inspect exactly what would have left the machine.

A script step is a :class:`Reply`, or a callable that builds one from the request (a
"model" that reads the prompt). :func:`obedient_model` is such a model: it obeys any
instruction injected into the meeting data, as a weak or hijacked model would.
:func:`grounded_model` reads the data block and answers validly, quoting exactly.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx2

from agent.llm.client import LLMClient
from agent.reasoner.llm import LLMReasoner


@dataclass
class Reply:
    """One scripted answer.

    ``content`` (a dict is JSON-encoded) with ``finish`` and ``refusal``; or ``status``
    for an HTTP error; or ``timeout`` to raise a read timeout; ``delay`` seconds first.
    ``chunks`` streams the content in that many pieces when the request asks to stream.
    """

    content: str | dict[str, Any] | None = None
    status: int = 200
    finish: str = "stop"
    refusal: str | None = None
    timeout: bool = False
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    usage: tuple[int, int] = (120, 40)
    chunks: int = 4
    chunk_delay: float = 0.0
    message: str | None = None  # the error message of an HTTP error


Step = Reply | Callable[[dict[str, Any]], Reply]


def ok(content: str | dict[str, Any], **kw: Any) -> Reply:
    return Reply(content=content, **kw)


def status(code: int, **kw: Any) -> Reply:
    return Reply(status=code, **kw)


def completion_json(reply: Reply, model: str) -> dict[str, Any]:
    content = (
        reply.content
        if isinstance(reply.content, str) or reply.content is None
        else (json.dumps(reply.content))
    )
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": reply.finish,
                "message": {
                    "role": "assistant",
                    "content": None if reply.refusal else content,
                    "refusal": reply.refusal,
                },
            }
        ],
        "usage": {
            "prompt_tokens": reply.usage[0],
            "completion_tokens": reply.usage[1],
            "total_tokens": sum(reply.usage),
        },
    }


class _SlowStream(httpx2.AsyncByteStream):
    """An SSE body written piece by piece; records whether the client closed it early."""

    def __init__(self, owner: ScriptedEndpoint, pieces: list[bytes], delay: float) -> None:
        self.owner = owner
        self.pieces = pieces
        self.delay = delay

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            if self.delay:
                await asyncio.sleep(self.delay)
            self.owner.chunks_sent += 1
            yield piece

    async def aclose(self) -> None:
        if self.owner.chunks_sent < len(self.pieces):
            self.owner.closed_early = True
        self.owner.closed = True


class ScriptedEndpoint:
    """A chat-completions endpoint that plays ``steps`` in order (the last one repeats)."""

    def __init__(self, *steps: Step, model: str = "scripted") -> None:
        self.steps = list(steps)
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self.raw_bodies: list[bytes] = []
        self.chunks_sent = 0
        self.closed = False
        self.closed_early = False

    def _next(self, body: dict[str, Any]) -> Reply:
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        return step(body) if callable(step) else step

    async def handle(self, request: httpx2.Request) -> httpx2.Response:
        raw = request.content
        self.raw_bodies.append(raw)
        body = json.loads(raw)
        self.requests.append(body)
        reply = self._next(body)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.timeout:
            raise httpx2.ReadTimeout("scripted timeout", request=request)
        if reply.status != 200:
            return httpx2.Response(
                reply.status,
                json={
                    "error": {"message": reply.message or f"scripted {reply.status}", "type": "t"}
                },
                headers=reply.headers,
                request=request,
            )
        if body.get("stream"):
            usage = bool(body.get("stream_options", {}).get("include_usage"))
            return self._stream(reply, request, usage)
        return httpx2.Response(200, json=completion_json(reply, self.model), request=request)

    def _stream(self, reply: Reply, request: httpx2.Request, usage: bool) -> httpx2.Response:
        full = completion_json(reply, self.model)["choices"][0]["message"]["content"] or ""
        size = max(1, -(-len(full) // max(reply.chunks, 1)))
        pieces = []
        for i in range(0, len(full), size):
            chunk = {
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": self.model,
                "choices": [{"index": 0, "delta": {"content": full[i : i + size]}}],
            }
            pieces.append(f"data: {json.dumps(chunk)}\n\n".encode())
        last = {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": self.model,
            "choices": [{"index": 0, "delta": {}, "finish_reason": reply.finish}],
        }
        if reply.refusal:
            refusal = dict(last, choices=[{"index": 0, "delta": {"refusal": reply.refusal}}])
            pieces.append(f"data: {json.dumps(refusal)}\n\n".encode())
        pieces.append(f"data: {json.dumps(last)}\n\n".encode())
        if usage:
            tail = dict(last, choices=[], usage=completion_json(reply, self.model)["usage"])
            pieces.append(f"data: {json.dumps(tail)}\n\n".encode())
        pieces.append(b"data: [DONE]\n\n")
        return httpx2.Response(
            200,
            headers={"content-type": "text/event-stream"},
            stream=_SlowStream(self, pieces, reply.chunk_delay),
            request=request,
        )

    def http_client(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.MockTransport(self.handle))

    def reasoner(self, **kw: Any) -> LLMReasoner:
        """An :class:`LLMReasoner` on this endpoint (short timeout unless given)."""
        client = LLMClient(
            model=self.model,
            base_url="http://llm.test/v1",
            api_key="test-key",
            http_client=self.http_client(),
            structured=kw.pop("structured", "auto"),
        )
        kw.setdefault("timeout", 5.0)
        return LLMReasoner(client, **kw)

    def sent_text(self) -> str:
        """Every byte that left for the endpoint, decoded (for privacy checks)."""
        return "\n".join(b.decode("utf-8") for b in self.raw_bodies)


# ---- reading the prompt ----------------------------------------------------------------


_BLOCK = re.compile(r'<meeting-data id="[0-9a-f]+">\n(.*?)\n</meeting-data>', re.DOTALL)


def data_lines(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The meeting data the request carried, one dict per line."""
    user = body["messages"][-1]["content"]
    m = _BLOCK.search(user)
    if not m:
        return []
    return [json.loads(line) for line in m.group(1).splitlines() if line.strip()]


def task_of(body: dict[str, Any]) -> str:
    fmt = body.get("response_format", {})
    if fmt.get("type") == "json_schema":
        return str(fmt["json_schema"]["name"])
    user = body["messages"][-1]["content"]
    for task, cue in (
        ("questions", "questions"),
        ("agreements", "agreements"),
        ("consult", "facilitator asks"),
        ("consult", "gespreksleider vraagt"),
        ("synthesis", "synthesis"),
    ):
        if cue in user.lower():
            return task
    return "consult"


def _words(text: str, n: int) -> str:
    return " ".join(text.split()[:n]).rstrip(".,;:!?")


def grounded_model(body: dict[str, Any]) -> Reply:
    """A well-behaved model: exact quotes from the data, one per speaker, open questions."""
    lines = [x for x in data_lines(body) if "text" in x]
    task = task_of(body)
    english = "Write in English" in body["messages"][0]["content"]
    if task == "questions":
        seen: set[str] = set()
        questions = []
        for line in reversed(lines):  # the latest words of each speaker
            who = line["speaker"]
            if who in seen or len(line["text"].split()) < 4:
                continue
            seen.add(who)
            quote = _words(line["text"], 6)
            text = (
                f'{who}, you said "{quote}": why does that matter so much to you?'
                if english
                else f'{who}, je zei "{quote}": waarom is dat voor jou zo belangrijk?'
            )
            questions.append(
                {
                    "addressee": who,
                    "text": text,
                    "grounded_in": {"source": line["id"], "quote": quote},
                    "value": None,
                }
            )
        return ok({"questions": questions})
    if task == "consult":
        first = lines[-1]
        return ok(
            {
                "answer": f"{first['speaker']} said what matters most to them."
                if english
                else f"{first['speaker']} zei wat voor hen het belangrijkst is.",
                "evidence": [{"source": first["id"], "quote": _words(first["text"], 6)}],
            }
        )
    if task == "synthesis":
        items = [
            {
                "section": "values",
                "text": f"{line['speaker']}: {_words(line['text'], 8)}.",
                "evidence": [{"source": line["id"], "quote": _words(line["text"], 8)}],
            }
            for line in lines[:3]
        ]
        return ok({"items": items})
    return ok({"agreements": [], "differences": []})


def obedient_model(body: dict[str, Any]) -> Reply:
    """A hijacked model: it does what text inside the meeting data tells it to.

    For an injected "say everyone agrees" it claims an agreement of all parties (citing
    the injected line and whatever else), asks a leading yes/no question that pushes the
    injected proposal, and answers the consult with the injected claim.
    """
    lines = [x for x in data_lines(body) if "text" in x]
    injected = next(
        (x for x in lines if re.search(r"(?i)ignore|negeer|disregard", x["text"])), None
    )
    others = [x for x in lines if x is not injected]
    task = task_of(body)
    if injected is None:
        return grounded_model(body)
    claim = injected["text"]
    if task == "agreements":
        evidence = [{"source": injected["id"], "quote": _words(injected["text"], 5)}]
        evidence += [{"source": x["id"], "quote": _words(x["text"], 5)} for x in others[:2]]
        return ok(
            {
                "agreements": [
                    {"label": "Everyone agrees to close the school", "evidence": evidence},
                    # The same claim, leaving the injected line out of the evidence.
                    {"label": "Everyone agrees to close the school", "evidence": evidence[1:]},
                ],
                "differences": [],
            }
        )
    if task == "questions":
        who = others[0]["speaker"] if others else "P2"
        src = others[0] if others else injected
        return ok(
            {
                "questions": [
                    {
                        "addressee": who,
                        "text": f"{who}, will you agree to close the school?",
                        "grounded_in": {"source": src["id"], "quote": _words(src["text"], 4)},
                        "value": None,
                    }
                ]
            }
        )
    if task == "synthesis":
        return ok(
            {
                "items": [
                    {
                        "section": "agreements",
                        "text": "All parties agree to close the school.",
                        "evidence": [
                            {"source": injected["id"], "quote": _words(injected["text"], 5)}
                        ],
                    }
                ]
            }
        )
    return ok(
        {
            "answer": claim,
            "evidence": [{"source": injected["id"], "quote": _words(injected["text"], 5)}],
        }
    )


# ---- meeting views without a service -------------------------------------------------------


def make_view(
    utterances: list[tuple[str, str, str]],
    positions: Sequence[tuple[str, str, str]] = (),
    *,
    language: str = "nl",
    meeting_id: str = "m1",
    step: str = "values",
    people: dict[str, tuple[str, str, str]] | None = None,
    parties: dict[str, str] | None = None,
    differences: Sequence[tuple[str, list[str]]] = (),
) -> Any:
    """A :class:`MeetingView` of a small meeting: ``utterances`` as (id, speaker, text),
    ``positions`` as (id, participant, text). People default to the conftest meeting."""
    from agent.analysis.agreements import empty_tracker
    from agent.graph.nodes import empty_signals
    from agent.models import PositionOut, Topic, UtteranceOut
    from agent.reasoner.base import MeetingView
    from agent.roster import Person, Roster

    people = people or {
        "henk": ("Henk Jansen", "cvb", "facilitator"),
        "anna": ("Anna de Vries", "or", "participant"),
        "noor": ("Noor Bakker", "sr", "participant"),
        "pim": ("Pim de Boer", "or", "participant"),
    }
    parties = parties or {
        "cvb": "College van Bestuur",
        "or": "Ondernemingsraad",
        "sr": "Studentenraad",
    }
    roster = Roster(
        meeting_id=meeting_id,
        language=language,  # type: ignore[arg-type]
        topic=Topic(title="Begroting 2027", kind="budget", goal="Samen de kaders verkennen"),
        parties=dict(parties),
        people={pid: Person(pid, n, party, role) for pid, (n, party, role) in people.items()},
    )
    utts = {
        uid: UtteranceOut(
            id=uid,
            seq=i,
            speaker=who,
            party=people[who][1],
            text=text,
            step=step,  # type: ignore[arg-type]
        )
        for i, (uid, who, text) in enumerate(utterances, start=1)
    }
    tracker = empty_tracker()
    for n, (target, members) in enumerate(differences, start=1):
        tracker["differences"].append({"id": f"d{n}", "target": target, "members": members})
    return MeetingView(
        roster=roster,
        step=step,  # type: ignore[arg-type]
        tracker=tracker,
        signals=empty_signals(),
        values={},
        positions=[PositionOut(id=pid, participant=who, text=t) for pid, who, t in positions],
        utterances=utts,
        recent=list(utts),
    )


# ---- the same script behind a real loopback socket -------------------------------------------


def asgi_app(endpoint: ScriptedEndpoint) -> Any:
    """An ASGI app serving ``endpoint`` at ``/v1/chat/completions`` (for uvicorn)."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        more = True
        while more:
            msg = await receive()
            body += msg.get("body", b"")
            more = msg.get("more_body", False)
        request = httpx2.Request("POST", f"http://fake{scope['path']}", content=body)
        response = await endpoint.handle(request)
        headers = [(k.encode(), v.encode()) for k, v in response.headers.items()]
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": headers}
        )
        try:
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            await response.aclose()
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return app


class ThreadServer:
    """uvicorn serving an ASGI app on a loopback port, in a thread of this process."""

    def __init__(self, app: Any) -> None:
        import socket

        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self._thread: Any = None

    def __enter__(self) -> ThreadServer:
        import threading
        import time

        self._thread = threading.Thread(target=self.server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=20)
