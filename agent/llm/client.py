"""One call to an OpenAI-compatible chat endpoint, mapped onto our own errors.

The SDK's retries are switched off (``max_retries=0``): the reasoner owns the one retry
layer, so a failing endpoint is never hit three times per attempt behind our back. Every
call has a hard deadline (``asyncio.timeout``), because the HTTP timeouts bound each read,
not the whole call, and an endpoint that trickles tokens would otherwise outlive it.
Cancelling the call (a deadline, a client that went away) closes the HTTP request, which
makes llama.cpp, vLLM and Ollama stop generating.

Servers differ in what they accept, so the client negotiates once and remembers:

- ``response_format``: strict ``json_schema`` first; when the server rejects it, JSON mode
  with the schema attached (``{"type": "json_object", "schema": ...}``, which llama.cpp's
  Python server and others turn into a grammar; it gets the tighter grammar schema of the
  prompt when there is one), and when that is rejected too, plain JSON mode, the only
  mode in which the schema is added to the prompt as text, since nothing else enforces
  it. The reply is always validated.
- ``max_tokens`` versus ``max_completion_tokens`` (newer OpenAI models want the latter).
- ``temperature`` (some reasoning models refuse any value).
- ``stream_options`` (asks for token usage at the end of a stream; not every server knows it).

Calls are streamed by default, even when nobody watches the tokens: a server stops
generating when a streamed request goes away, but finishes an abandoned plain request
(llama-cpp-python's server does), and a timed-out call would then keep the server busy
for the next one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import openai
from openai import AsyncOpenAI

from agent.llm.errors import (
    LLMError,
    ModelOutputInvalid,
    ModelRateLimited,
    ModelRefused,
    ModelRejected,
    ModelTimeout,
    ModelUnavailable,
)

log = logging.getLogger(__name__)

Mode = Literal["json_schema", "json_object_schema", "json_object"]
Message = dict[str, str]
CHARS_PER_TOKEN = 3.5  # conservative for Dutch and English when the server reports nothing


def estimate_tokens(text: str) -> int:
    """A rough token count, used when the endpoint reports no usage and for the caps."""
    return int(len(text) / CHARS_PER_TOKEN) + 1


@dataclass(frozen=True)
class Completion:
    """A finished reply: the text, what it cost, how long it took, how it was asked for."""

    content: str
    prompt_tokens: int
    completion_tokens: int
    latency: float
    mode: Mode


class LLMClient:
    """An ``AsyncOpenAI`` client for one endpoint and model, with the negotiation above."""

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        structured: Literal["auto", "json_schema", "json_object"] = "auto",
        temperature: float | None = 0.2,
        http_client: Any = None,
        streaming: bool = True,
    ) -> None:
        self.model = model
        self.mode: Mode = "json_object_schema" if structured == "json_object" else "json_schema"
        self._may_downgrade = structured == "auto"
        self._max_tokens_param = "max_tokens"
        self.temperature = temperature
        self.streaming = streaming
        self._stream_usage = True
        self._sdk = AsyncOpenAI(
            base_url=base_url,
            # Local servers take no key, but the SDK insists on one.
            api_key=api_key or "not-needed",
            max_retries=0,
            http_client=http_client,
        )

    async def aclose(self) -> None:
        await self._sdk.close()

    # ---- request building -----------------------------------------------------------

    def _params(
        self,
        messages: Sequence[Message],
        schema_name: str,
        schema: dict[str, Any],
        max_tokens: int,
        grammar: dict[str, Any] | None = None,
        schema_hint: str = "",
    ) -> dict[str, Any]:
        sent = list(messages)
        if self.mode == "json_object" and schema_hint and sent:
            last = sent[-1]
            sent[-1] = {**last, "content": last["content"] + schema_hint}
        params: dict[str, Any] = {
            "model": self.model,
            "messages": sent,
            self._max_tokens_param: max_tokens,
        }
        if self.temperature is not None:
            params["temperature"] = self.temperature
        if self.mode == "json_schema":
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": schema_name, "strict": True, "schema": schema},
            }
        elif self.mode == "json_object_schema":
            params["response_format"] = {"type": "json_object", "schema": grammar or schema}
        else:
            params["response_format"] = {"type": "json_object"}
        return params

    def _negotiate(self, exc: openai.APIStatusError) -> bool:
        """Adapt to an error that names an unsupported parameter. True: try again.

        Usually a 400 or 422; llama-cpp-python's server wraps its request validation
        errors in a 500, so a 5xx counts too when it names ``response_format``.
        """
        if exc.status_code == 429:
            return False
        text = str(getattr(exc, "message", "") or exc).lower()
        if exc.status_code >= 500 and "response_format" not in text:
            return False
        about_format = "response_format" in text or "schema" in text
        if self.mode == "json_schema" and self._may_downgrade and about_format:
            log.warning("endpoint rejects json_schema outputs; trying JSON mode with a schema")
            self.mode = "json_object_schema"
            return True
        if self.mode == "json_object_schema" and about_format:
            log.warning("endpoint rejects a schema in JSON mode; using plain JSON mode")
            self.mode = "json_object"
            return True
        if self._max_tokens_param == "max_tokens" and "max_tokens" in text:
            self._max_tokens_param = "max_completion_tokens"
            return True
        if self.temperature is not None and "temperature" in text:
            self.temperature = None
            return True
        if self._stream_usage and "stream_options" in text:
            self._stream_usage = False
            return True
        return False

    # ---- calls ----------------------------------------------------------------------------

    async def complete(
        self,
        messages: Sequence[Message],
        *,
        schema_name: str,
        schema: dict[str, Any],
        max_tokens: int,
        timeout: float,
        grammar: dict[str, Any] | None = None,
        schema_hint: str = "",
    ) -> Completion:
        """One reply, within ``timeout`` seconds. Raises an :class:`LLMError` subclass.

        ``grammar`` and ``schema_hint``: see :class:`agent.llm.messages.Prompt`.
        """
        if self.streaming:
            return await self.stream(
                messages,
                schema_name=schema_name,
                schema=schema,
                max_tokens=max_tokens,
                timeout=timeout,
                grammar=grammar,
                schema_hint=schema_hint,
            )
        start = time.monotonic()
        try:
            async with asyncio.timeout(timeout):
                for _ in range(6):  # each negotiation step at most once
                    try:
                        response = await self._sdk.chat.completions.create(
                            **self._params(
                                messages, schema_name, schema, max_tokens, grammar, schema_hint
                            ),
                            timeout=max(timeout - (time.monotonic() - start), 0.05),
                        )
                        break
                    except openai.APIStatusError as exc:
                        if not self._negotiate(exc):
                            raise
                else:  # pragma: no cover - the negotiation has four steps
                    raise ModelRejected("endpoint rejected every request form")
        except TimeoutError:
            raise ModelTimeout(f"no reply within {timeout:.1f} s") from None
        except openai.OpenAIError as exc:
            raise _map_error(exc) from None
        latency = time.monotonic() - start
        return self._finish(response, messages, latency)

    def _finish(self, response: Any, messages: Sequence[Message], latency: float) -> Completion:
        choices = getattr(response, "choices", None) or []
        if not choices:
            raise ModelOutputInvalid("reply has no choices")
        choice = choices[0]
        message = choice.message
        if getattr(message, "refusal", None):
            raise ModelRefused("the model refused")
        if choice.finish_reason == "content_filter":
            raise ModelRefused("the reply was filtered")
        if choice.finish_reason == "length":
            raise ModelOutputInvalid("reply cut off at the output token cap")
        content = message.content or ""
        if not content.strip():
            raise ModelOutputInvalid("empty reply")
        usage = getattr(response, "usage", None)
        prompt = getattr(usage, "prompt_tokens", None) or estimate_tokens(
            "".join(m["content"] for m in messages)
        )
        completion = getattr(usage, "completion_tokens", None) or estimate_tokens(content)
        return Completion(content, int(prompt), int(completion), latency, self.mode)

    async def stream(
        self,
        messages: Sequence[Message],
        *,
        schema_name: str,
        schema: dict[str, Any],
        max_tokens: int,
        timeout: float,
        on_delta: Callable[[int], Any] | None = None,
        grammar: dict[str, Any] | None = None,
        schema_hint: str = "",
    ) -> Completion:
        """Like :meth:`complete`, streamed: ``on_delta(chars_so_far)`` after each chunk.

        Cancelling the task that awaits this closes the upstream response in ``finally``.
        """
        start = time.monotonic()
        parts: list[str] = []
        finish: str | None = None
        usage: Any = None
        try:
            async with asyncio.timeout(timeout):
                stream = None
                for _ in range(6):
                    try:
                        params = self._params(
                            messages, schema_name, schema, max_tokens, grammar, schema_hint
                        )
                        if self._stream_usage:
                            params["stream_options"] = {"include_usage": True}
                        stream = await self._sdk.chat.completions.create(
                            **params,
                            stream=True,
                            timeout=max(timeout - (time.monotonic() - start), 0.05),
                        )
                        break
                    except openai.APIStatusError as exc:
                        if not self._negotiate(exc):
                            raise
                if stream is None:  # pragma: no cover
                    raise ModelRejected("endpoint rejected every request form")
                try:
                    async for chunk in stream:
                        if getattr(chunk, "usage", None):
                            usage = chunk.usage
                        for choice in chunk.choices or []:
                            delta = choice.delta
                            if getattr(delta, "refusal", None):
                                raise ModelRefused("the model refused")
                            if delta.content:
                                parts.append(delta.content)
                                if on_delta is not None:
                                    on_delta(sum(len(p) for p in parts))
                            if choice.finish_reason:
                                finish = choice.finish_reason
                finally:
                    await stream.close()
        except TimeoutError:
            raise ModelTimeout(f"no complete reply within {timeout:.1f} s") from None
        except openai.OpenAIError as exc:
            raise _map_error(exc) from None
        latency = time.monotonic() - start
        content = "".join(parts)
        if finish == "length":
            raise ModelOutputInvalid("reply cut off at the output token cap")
        if finish == "content_filter":
            raise ModelRefused("the reply was filtered")
        if not content.strip():
            raise ModelOutputInvalid("empty reply")
        prompt = getattr(usage, "prompt_tokens", None) or estimate_tokens(
            "".join(m["content"] for m in messages)
        )
        completion = getattr(usage, "completion_tokens", None) or estimate_tokens(content)
        return Completion(content, int(prompt), int(completion), latency, self.mode)


def _retry_after(exc: openai.APIStatusError) -> float | None:
    try:
        value = exc.response.headers.get("retry-after")
        return float(value) if value is not None else None
    except (ValueError, AttributeError):
        return None


def _map_error(exc: openai.OpenAIError) -> LLMError:
    """The SDK's exception as ours. Messages carry status codes, never request content."""
    if isinstance(exc, openai.APITimeoutError):
        return ModelTimeout("the endpoint timed out")
    if isinstance(exc, openai.APIConnectionError):
        return ModelUnavailable("no connection to the endpoint")
    if isinstance(exc, openai.RateLimitError):
        return ModelRateLimited("HTTP 429 from the endpoint", _retry_after(exc))
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code >= 500:
            return ModelUnavailable(f"HTTP {exc.status_code} from the endpoint")
        return ModelRejected(f"HTTP {exc.status_code} from the endpoint")
    if isinstance(exc, openai.APIResponseValidationError):
        return ModelOutputInvalid("the endpoint's reply does not parse")
    return ModelUnavailable(type(exc).__name__)
