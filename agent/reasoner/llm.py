"""The ``llm`` reasoner: any OpenAI-compatible model, validated against the meeting.

It implements the same :class:`~agent.reasoner.base.Reasoner` interface as the local
engine and returns the same models. Four tasks go to the model, each with a prompt in
``prompts/llm/`` (Dutch and English): values questions, agreements and differences,
consult answers and the synthesis. The others stay local because they are computations,
not language: the topic check and the frame draft (rules and templates), the value map
(the trained classifier's scores), and the signals (counts).

Every model call goes through :meth:`LLMReasoner._ask`:

1. the circuit breaker and the token budgets may refuse it up front;
2. one attempt, and at most one retry (for a transient endpoint error or a reply that
   does not parse), all within ``llm_timeout`` seconds;
3. the reply is parsed against the task's schema and validated against this meeting
   (:mod:`agent.llm.validate`), names restored;
4. on any failure, the local engine answers instead, and the result says so
   (``backend="local"``, ``fallback=True``).

So a meeting never waits longer than the timeout on a model, and never stops because of
one. Counts of everything (tokens per meeting, outcomes, drops by reason, latencies) go
to the :class:`~agent.llm.usage.UsageLedger`; the logs get counts, never content.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from agent.analysis.text import fold
from agent.errors import ConfigurationError
from agent.llm.breaker import CircuitBreaker
from agent.llm.client import Completion, LLMClient, estimate_tokens
from agent.llm.errors import (
    BudgetExhausted,
    CircuitOpen,
    LLMError,
    ModelOutputInvalid,
    ModelRateLimited,
    ModelTimeout,
)
from agent.llm.events import ConsultEvent
from agent.llm.messages import Prompt, Sources, build, sources_of
from agent.llm.pseudonym import Pseudonymiser
from agent.llm.usage import UsageLedger, UsageSink
from agent.llm.validate import MAX_POINTS, MAX_QUESTIONS, SYNTHESIS_SECTIONS, Checked, Validator
from agent.llm.wire import (
    AgreementsOut,
    ConsultOut,
    QuestionsOut,
    SynthesisOut,
    parse,
)
from agent.models import (
    Agreement,
    ConsultAnswer,
    Difference,
    Question,
    Signal,
    SuggestionItem,
    TopicAdvice,
    ValueEvidenceOut,
)
from agent.prompts import load_yaml
from agent.reasoner.base import MeetingView
from agent.reasoner.local import LocalReasoner, value_label
from agent.settings import Settings
from agent.synthesis.models import SECTIONS, SynthesisDraftItem

log = logging.getLogger(__name__)

T = TypeVar("T")

SYNTHESIS_ITEMS = 24
REMEMBERED_REPLIES = 8  # accepted replies kept per meeting, to answer a repeated prompt
PROGRESS_EVERY = 0.25  # seconds between progress events of a streamed answer
LOCAL_SECTIONS = ("frame", "participation")  # the record and the counts stay local


class NothingValid(ModelOutputInvalid):
    """The model proposed items and validation dropped every one of them."""

    reason = "all_dropped"


class NothingProposed(ModelOutputInvalid):
    """The model returned a valid but empty answer where the facilitator needs items."""

    reason = "empty"


def _prompt_key(task: str, prompt: Prompt) -> str:
    body = json.dumps([task, prompt.messages, prompt.schema, prompt.grammar], sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


class LLMReasoner:
    """A :class:`Reasoner` backed by an OpenAI-compatible model, with local fallback."""

    name = "llm"

    def __init__(
        self,
        client: LLMClient,
        *,
        timeout: float = 20.0,
        max_prompt_tokens: int = 6000,
        max_output_tokens: int = 900,
        meeting_tokens: int = 300_000,
        pseudonymise: bool = True,
        breaker: CircuitBreaker | None = None,
        ledger: UsageLedger | None = None,
        local: LocalReasoner | None = None,
    ) -> None:
        self.client = client
        self.timeout = timeout
        self.max_prompt_tokens = max_prompt_tokens
        self.max_output_tokens = max_output_tokens
        self.meeting_tokens = meeting_tokens
        self.pseudonymise = pseudonymise
        self.breaker = breaker or CircuitBreaker()
        self.ledger = ledger or UsageLedger()
        self.local = local or LocalReasoner()
        self._pseudonymisers: dict[str, Pseudonymiser] = {}
        self._replies: dict[str, OrderedDict[str, str]] = {}  # meeting -> prompt key -> reply

    @classmethod
    def from_settings(
        cls, settings: Settings, sink: UsageSink | None = None, http_client: Any = None
    ) -> LLMReasoner:
        """The reasoner the settings describe. Raises :class:`ConfigurationError` when
        they are incomplete, so a bad configuration fails at start-up, not mid-meeting."""
        if not settings.llm_model:
            raise ConfigurationError(
                "RONDETAFEL_LLM_BASE_URL is set but RONDETAFEL_LLM_MODEL is not; name the model "
                "(for Azure OpenAI: the deployment name)"
            )
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        if not settings.llm_base_url and not key:
            raise ConfigurationError(
                "the llm backend without RONDETAFEL_LLM_BASE_URL calls api.openai.com, which "
                "needs RONDETAFEL_LLM_API_KEY or OPENAI_API_KEY"
            )
        client = LLMClient(
            model=settings.llm_model,
            base_url=settings.llm_base_url,
            api_key=key,
            structured=settings.llm_structured,
            temperature=settings.llm_temperature,
            http_client=http_client,
        )
        return cls(
            client,
            timeout=settings.llm_timeout,
            max_prompt_tokens=settings.llm_max_prompt_tokens,
            max_output_tokens=settings.llm_max_output_tokens,
            meeting_tokens=settings.llm_meeting_tokens,
            pseudonymise=settings.llm_pseudonymise,
            breaker=CircuitBreaker(settings.llm_breaker_failures, settings.llm_breaker_cooldown),
            ledger=UsageLedger(sink),
        )

    @property
    def model(self) -> str:
        return self.client.model

    async def aclose(self) -> None:
        await self.client.aclose()

    # ---- the one way to the model ----------------------------------------------------------

    def _pseudo(self, view: MeetingView) -> Pseudonymiser:
        mid = view.roster.meeting_id
        if mid not in self._pseudonymisers:
            self._pseudonymisers[mid] = Pseudonymiser(view.roster, enabled=self.pseudonymise)
        return self._pseudonymisers[mid]

    async def _ask(
        self,
        task: str,
        view: MeetingView,
        prompt: Prompt,
        accept: Callable[[str], Checked[T]],
        on_delta: Callable[[int], Any] | None = None,
        need_items: bool = True,
    ) -> Checked[T]:
        """Call the model for ``task`` and return the validated result, or raise the
        :class:`LLMError` that makes the caller fall back.

        A reply that does not parse, or that is empty when ``need_items``, is invalid:
        retried once, then given up. A reply that parses but whose every item fails
        validation is given up at once (:class:`NothingValid`).
        """
        mid = view.roster.meeting_id
        messages, schema = prompt.messages, prompt.schema
        prompt_tokens = sum(estimate_tokens(m["content"]) for m in messages)
        if prompt_tokens > self.max_prompt_tokens:
            raise BudgetExhausted("prompt over the per-call cap")
        key = _prompt_key(task, prompt)
        reused = self._reuse(mid, key, accept, need_items)
        if reused is not None:
            return reused
        deadline = time.monotonic() + self.timeout
        last: LLMError | None = None
        for attempt in (1, 2):
            if self.ledger.tokens_used(mid) + prompt_tokens + self.max_output_tokens > (
                self.meeting_tokens
            ):
                raise BudgetExhausted("the meeting's token budget is used up")
            if not self.breaker.allow():
                raise last if last is not None else CircuitOpen("circuit breaker open")
            remaining = deadline - time.monotonic()
            if remaining <= 0.05:
                self.breaker.release()
                raise last if last is not None else ModelTimeout("no time left")
            started = time.monotonic()
            try:
                completion: Completion
                if on_delta is None:
                    completion = await self.client.complete(
                        messages,
                        schema_name=task,
                        schema=schema,
                        max_tokens=self.max_output_tokens,
                        timeout=remaining,
                        grammar=prompt.grammar,
                        schema_hint=prompt.schema_hint,
                    )
                else:
                    completion = await self.client.stream(
                        messages,
                        schema_name=task,
                        schema=schema,
                        max_tokens=self.max_output_tokens,
                        timeout=remaining,
                        on_delta=on_delta,
                        grammar=prompt.grammar,
                        schema_hint=prompt.schema_hint,
                    )
            except asyncio.CancelledError:
                self.breaker.release()
                raise
            except LLMError as exc:
                self.ledger.failed_call(mid, time.monotonic() - started)
                if exc.endpoint_failure:
                    self.breaker.failure()
                else:
                    self.breaker.success()  # it answered; the answer was the problem
                log.warning("llm %s meeting %s attempt %d: %s", task, mid, attempt, exc.reason)
                last = exc
                if not exc.retryable:
                    raise
                if isinstance(exc, ModelRateLimited):
                    room = deadline - time.monotonic() - 0.5
                    await asyncio.sleep(max(0.0, min(exc.retry_after or 0.5, room)))
                continue
            self.breaker.success()
            self.ledger.call(
                mid, completion.prompt_tokens, completion.completion_tokens, completion.latency
            )
            try:
                checked = accept(completion.content)
            except ModelOutputInvalid as exc:
                self.ledger.items(mid, 1, 0, Counter({exc.reason: 1}))
                log.warning("llm %s meeting %s attempt %d: %s", task, mid, attempt, exc)
                last = exc
                continue
            self.ledger.items(
                mid,
                checked.proposed,
                len(checked.items),
                checked.dropped,
                checked.citations_dropped,
            )
            log.info(
                "llm %s meeting %s: %d proposed, %d accepted, dropped %s",
                task,
                mid,
                checked.proposed,
                len(checked.items),
                dict(checked.dropped) or "none",
            )
            if not checked.items and checked.proposed:
                # A well-formed reply whose every item failed the meeting's checks is not
                # asked for again: a second sample of the same prompt mostly repeats the
                # same mistakes, and the facilitator would wait twice for nothing.
                raise NothingValid("validation dropped every item")
            if not checked.items and need_items:
                last = NothingProposed("the model proposed nothing")
                continue
            self.ledger.answered_by_model(mid)
            self._remember(mid, key, completion.content)
            return checked
        assert last is not None
        raise last

    def _remember(self, meeting_id: str, key: str, content: str) -> None:
        replies = self._replies.setdefault(meeting_id, OrderedDict())
        replies[key] = content
        replies.move_to_end(key)
        while len(replies) > REMEMBERED_REPLIES:
            replies.popitem(last=False)

    def _reuse(
        self,
        meeting_id: str,
        key: str,
        accept: Callable[[str], Checked[T]],
        need_items: bool,
    ) -> Checked[T] | None:
        """The model's accepted reply to this very prompt, validated again, or None.

        The same prompt (same task, same meeting data) comes back when nothing was said
        in between: a step change, the facilitator reloading the advice. Asking again
        would only cost time; the reply is checked again against the view of now (a
        question asked meanwhile is a repeat now), and a fresh call follows if it fails.
        """
        replies = self._replies.get(meeting_id)
        content = replies.get(key) if replies is not None else None
        if content is None:
            return None
        try:
            checked = accept(content)
        except ModelOutputInvalid:
            return None
        if not checked.items and (checked.proposed or need_items):
            return None
        self.ledger.reused(meeting_id)
        return checked

    def _fell_back(self, view: MeetingView, task: str, exc: Exception) -> None:
        """Count and log a fallback. A model error is expected and logged as a warning; any
        other exception is our own bug, logged with its traceback, and the local engine
        still answers, because a meeting must never stop on the llm backend."""
        mid = view.roster.meeting_id
        if isinstance(exc, LLMError):
            self.ledger.fallback(mid, exc.reason)
            log.warning("llm %s meeting %s: local engine answers (%s)", task, mid, exc.reason)
        else:
            self.ledger.fallback(mid, "error")
            log.exception("llm %s meeting %s: unexpected error; local engine answers", task, mid)

    # ---- delegated to the local engine: computations, not language --------------------------

    async def advise_topic(self, view: MeetingView) -> TopicAdvice:
        return await self.local.advise_topic(view)

    async def draft_frame(self, view: MeetingView) -> list[SuggestionItem]:
        return await self.local.draft_frame(view)

    async def value_map(self, view: MeetingView) -> dict[str, list[ValueEvidenceOut]]:
        return await self.local.value_map(view)

    async def signals(self, view: MeetingView) -> list[Signal]:
        return await self.local.signals(view)

    # ---- questions ---------------------------------------------------------------------------

    def _people_lines(self, view: MeetingView, pseudo: Pseudonymiser) -> str:
        lines = []
        for p in view.roster.people.values():
            if p.is_facilitator:
                continue
            tallies = view.values.get(p.id, {})
            top = sorted(tallies.items(), key=lambda kv: -kv[1]["score"])[:3]
            values = ", ".join(f"{v} ({value_label(v, view.language)})" for v, _ in top)
            lines.append(f"- {pseudo.person(p.id)}: {values or '-'}")
        return "\n".join(lines)

    def _bridging(self, view: MeetingView, pseudo: Pseudonymiser) -> str:
        if view.step != "connection":
            return ""
        pairs = []
        for d in view.tracker["differences"]:
            members = [m for m in [d["target"], *d["members"]] if m in view.utterances]
            if len(members) >= 2:
                pairs.append(" / ".join(dict.fromkeys(members)))
        if not pairs:
            return ""
        intro = {
            "nl": "Dit is de verbindingsstap: stel overbruggende vragen bij deze verschillen "
            "(dataregels):",
            "en": "This is the connection step: ask bridging questions about these differences "
            "(data lines):",
        }[view.language]
        return "\n" + intro + "\n" + "\n".join(f"- {p}" for p in pairs[:6]) + "\n"

    def _prompt(
        self,
        task: str,
        view: MeetingView,
        pseudo: Pseudonymiser,
        model: type[BaseModel],
        **options: Any,
    ) -> tuple[Validator, Prompt]:
        """The validator for this meeting's lines and the prompt for ``task`` over the same
        lines, its quotes pinned to what the validator accepts (see :func:`build`)."""
        sources = sources_of(view, pseudo)
        validator = Validator(view, pseudo, sources)
        prompt = build(
            task,
            view,
            pseudo,
            sources,
            self._refs(view, sources),
            model,
            self.max_prompt_tokens,
            quotable=validator.quotable,
            **options,
        )
        return validator, prompt

    def _refs(self, view: MeetingView, sources: Sources) -> list[str]:
        refs = [r for r in sources.by_ref if r.startswith("position:")]
        refs += [u for u in sources.by_ref if not u.startswith("position:")]
        return refs

    async def propose_questions(self, view: MeetingView) -> list[Question]:
        pseudo = self._pseudo(view)
        try:
            addressees = [
                pseudo.person(p.id) for p in view.roster.people.values() if not p.is_facilitator
            ]
            validator, prompt = self._prompt(
                "questions",
                view,
                pseudo,
                QuestionsOut,
                addressees=addressees,
                items={"questions": (1, min(MAX_QUESTIONS, len(addressees)))},
                step=view.step,
                max=MAX_QUESTIONS,
                people=self._people_lines(view, pseudo),
                bridging=self._bridging(view, pseudo),
            )
            kind = "bridging" if view.step == "connection" else "values"
            checked = await self._ask(
                "questions",
                view,
                prompt,
                lambda content: validator.questions(parse(QuestionsOut, content), kind),
            )
            return checked.items
        except Exception as exc:  # the meeting never stops, see _fell_back
            self._fell_back(view, "questions", exc)
            local = await self.local.propose_questions(view)
            return [q.model_copy(update={"backend": "local", "fallback": True}) for q in local]

    # ---- agreements and differences ------------------------------------------------------------

    def _hints(self, view: MeetingView) -> str:
        points = [[m for m in p["members"] if m in view.utterances] for p in view.tracker["points"]]
        points = [p for p in points if len(p) >= 2]
        if not points:
            return ""
        intro = {
            "nl": "Een eenvoudige teller koppelde al deze regels (check ze zelf):",
            "en": "A simple tracker already linked these lines (check them yourself):",
        }[view.language]
        return "\n" + intro + "\n" + "\n".join(f"- {', '.join(p)}" for p in points[:8]) + "\n"

    async def describe_agreements(
        self, view: MeetingView
    ) -> tuple[list[Agreement], list[Difference]]:
        pseudo = self._pseudo(view)
        local_agreed, local_diffs = await self.local.describe_agreements(view)
        try:
            validator, prompt = self._prompt(
                "agreements",
                view,
                pseudo,
                AgreementsOut,
                items={
                    "agreements": (0, MAX_POINTS),
                    "differences": (0, MAX_POINTS),
                    "evidence": (2, None),
                },
                hints=self._hints(view),
            )
            pair: dict[str, Any] = {}

            def accept(content: str) -> Checked[Any]:
                agreed, diffs = validator.agreements(parse(AgreementsOut, content))
                pair["agreed"], pair["diffs"] = agreed.items, diffs.items
                both: Checked[Any] = Checked(
                    items=[*agreed.items, *diffs.items],
                    proposed=agreed.proposed + diffs.proposed,
                    dropped=agreed.dropped + diffs.dropped,
                    citations_dropped=agreed.citations_dropped + diffs.citations_dropped,
                )
                return both

            # No agreement yet is a valid answer early in a meeting.
            await self._ask("agreements", view, prompt, accept, need_items=False)
        except Exception as exc:  # the meeting never stops, see _fell_back
            self._fell_back(view, "agreements", exc)
            return (
                [a.model_copy(update={"backend": "local", "fallback": True}) for a in local_agreed],
                [d.model_copy(update={"backend": "local", "fallback": True}) for d in local_diffs],
            )
        agreed: list[Agreement] = pair["agreed"]
        diffs: list[Difference] = pair["diffs"]
        # The local tracker's points stay: the model adds and words points, it does not get
        # to silently lose a polarity-checked one.
        for a in local_agreed:
            mine = {e.utterance_id for e in a.evidence}
            if not any(len(mine & {e.utterance_id for e in b.evidence}) >= 2 for b in agreed):
                agreed.append(a.model_copy(update={"backend": "local"}))
        for d in local_diffs:
            mine = {e.utterance_id for s in d.sides for e in s.evidence}
            if not any(
                len(mine & {e.utterance_id for s in x.sides for e in s.evidence}) >= 2
                for x in diffs
            ):
                diffs.append(d.model_copy(update={"backend": "local"}))
        return agreed, diffs

    # ---- consult -----------------------------------------------------------------------------

    def _intent(self, view: MeetingView, question: str) -> str | None:
        intents = load_yaml("consult.yaml")[view.language]
        q = fold(question)
        return next((name for name, keys in intents.items() if any(k in q for k in keys)), None)

    async def answer(self, view: MeetingView, question: str) -> ConsultAnswer:
        return await self._answer(view, question, None)

    async def _answer(
        self, view: MeetingView, question: str, on_delta: Callable[[int], Any] | None
    ) -> ConsultAnswer:
        if self._intent(view, question) == "not_heard":
            # Who has spoken how much is a count the local engine has exactly.
            local = await self.local.answer(view, question)
            return local.model_copy(update={"backend": "local", "fallback": False})
        pseudo = self._pseudo(view)
        try:
            validator, prompt = self._prompt(
                "consult",
                view,
                pseudo,
                ConsultOut,
                items={"evidence": (1, None)},
                question=pseudo.mask(question).text,
            )
            checked = await self._ask(
                "consult",
                view,
                prompt,
                lambda content: validator.consult(parse(ConsultOut, content)),
                on_delta=on_delta,
            )
            return checked.items[0]
        except Exception as exc:  # the meeting never stops, see _fell_back
            self._fell_back(view, "consult", exc)
            local = await self.local.answer(view, question)
            return local.model_copy(update={"backend": "local", "fallback": True})

    async def answer_stream(self, view: MeetingView, question: str) -> AsyncIterator[ConsultEvent]:
        """The answer as events: progress while the model writes, then the checked answer.

        Closing this generator (the client went away) cancels the model call, which closes
        the upstream HTTP request, so the endpoint stops generating.
        """
        yield ConsultEvent(kind="started", backend=self.name)
        progress: asyncio.Queue[int] = asyncio.Queue()
        last_sent = 0.0

        def on_delta(chars: int) -> None:
            nonlocal last_sent
            now = time.monotonic()
            if now - last_sent >= PROGRESS_EVERY:
                last_sent = now
                progress.put_nowait(chars)

        task = asyncio.create_task(self._answer(view, question, on_delta))
        try:
            while not task.done():
                getter = asyncio.ensure_future(progress.get())
                await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield ConsultEvent(kind="progress", chars=getter.result())
                else:
                    getter.cancel()
            yield ConsultEvent(kind="answer", answer=task.result())
        finally:
            if not task.done():
                task.cancel()
                # Closing anyway: whatever the cancelled call ends with is not news.
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    # ---- synthesis -----------------------------------------------------------------------------

    async def write_synthesis(self, view: MeetingView) -> list[SynthesisDraftItem]:
        from agent.synthesis.writer import write_local

        local = await write_local(self.local, view)
        pseudo = self._pseudo(view)
        try:
            validator, prompt = self._prompt(
                "synthesis",
                view,
                pseudo,
                SynthesisOut,
                items={"items": (1, SYNTHESIS_ITEMS), "evidence": (1, None)},
                sections=SYNTHESIS_SECTIONS,
                max=SYNTHESIS_ITEMS,
            )
            checked = await self._ask(
                "synthesis",
                view,
                prompt,
                lambda content: validator.synthesis(parse(SynthesisOut, content), SYNTHESIS_ITEMS),
            )
        except Exception as exc:  # the meeting never stops, see _fell_back
            self._fell_back(view, "synthesis", exc)
            return local
        kept = [i for i in local if i.section in LOCAL_SECTIONS]
        items = [*kept, *checked.items]
        return sorted(items, key=lambda i: SECTIONS.index(i.section))
