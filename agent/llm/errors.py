"""What can go wrong with a model, as :class:`agent.errors.ModelError` subclasses.

Every one of these is the model's or the endpoint's fault, never the caller's: the
reasoner catches them all, counts them by ``reason`` and falls back to the local engine.
``retryable`` says whether one more attempt could help; ``endpoint_failure`` whether it
counts against the circuit breaker (a model that writes bad JSON is healthy but weak; an
endpoint that times out is unhealthy).
"""

from __future__ import annotations

from agent.errors import ModelError


class LLMError(ModelError):
    """Base of the llm backend's errors. ``reason`` is a short code for counting."""

    reason = "error"
    retryable = False
    endpoint_failure = False


class ModelTimeout(LLMError):
    """The call did not finish within the time left of the per-call budget."""

    reason = "timeout"
    endpoint_failure = True


class ModelUnavailable(LLMError):
    """No connection, or a 5xx from the endpoint."""

    reason = "unavailable"
    retryable = True
    endpoint_failure = True


class ModelRateLimited(LLMError):
    """HTTP 429. ``retry_after`` is the endpoint's hint in seconds, when it gave one."""

    reason = "rate_limited"
    retryable = True
    endpoint_failure = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ModelRejected(LLMError):
    """A 4xx other than 429: wrong key, unknown model, request the endpoint cannot serve.

    Not retried (the same request fails the same way), but it does count against the
    breaker, so a misconfigured endpoint is not called on every utterance.
    """

    reason = "rejected"
    endpoint_failure = True


class ModelOutputInvalid(LLMError):
    """The reply is not JSON, or not the JSON the schema asks for, or was cut off."""

    reason = "invalid"
    retryable = True


class ModelRefused(LLMError):
    """The model declined to answer (a structured-outputs refusal)."""

    reason = "refused"


class CircuitOpen(LLMError):
    """The breaker is open: the endpoint failed repeatedly and is left alone for a while."""

    reason = "circuit_open"


class BudgetExhausted(LLMError):
    """The meeting has used its token budget, or one call would exceed its own cap."""

    reason = "budget"
