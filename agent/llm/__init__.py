"""Talking to an OpenAI-compatible model, safely.

The pieces the ``llm`` reasoner (:mod:`agent.reasoner.llm`) is built from, each small
enough to test alone:

- :mod:`agent.llm.client`: one call to the endpoint, with the SDK's own retries off.
- :mod:`agent.llm.breaker`: stop calling a failing endpoint for a while.
- :mod:`agent.llm.pseudonym`: names, e-mail addresses and phone numbers out, and back in.
- :mod:`agent.llm.wire`: what the model must return, as pydantic models and JSON schemas.
- :mod:`agent.llm.messages`: the prompt, with the meeting as delimited, quoted data.
- :mod:`agent.llm.validate`: every output checked against this meeting.
- :mod:`agent.llm.usage`: tokens, outcomes and latencies per meeting.
"""
