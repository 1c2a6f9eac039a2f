"""The meeting synthesis: written by a reasoner, validated against the meeting, reviewed
item by item by the team, exported as Markdown and DOCX.

- :mod:`agent.synthesis.models`: the pydantic models (items, review actions, reports).
- :mod:`agent.synthesis.writer`: the local engine's extractive writer.
- :mod:`agent.synthesis.grounding`: the citation check every backend's output goes through.
- :mod:`agent.synthesis.review`: the review state machine and the regeneration plan.
- :mod:`agent.synthesis.engine`: generate, read, review, share and export against the store.
- :mod:`agent.synthesis.export`: the Markdown and DOCX renderings.
"""
