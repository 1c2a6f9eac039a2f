"""Recognise text written as an instruction to a machine ("ignore previous instructions").

Positions and utterances are data. Such text is kept and may be quoted as the speaker's
words, but it is never treated as a view that others agreed with.
"""

from __future__ import annotations

import functools
import re

from agent.prompts import load_yaml


@functools.cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in load_yaml("lexicons/injection.yaml")["patterns"])


def looks_like_instruction(text: str) -> bool:
    """True when the text addresses the machine instead of the people at the table."""
    return any(p.search(line) for p in _patterns() for line in text.splitlines() or [text])
