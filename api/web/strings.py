"""The pages' words, from ``prompts/web.nl.yaml`` and ``prompts/web.en.yaml``."""

from __future__ import annotations

from typing import Any

from agent.models import Language
from agent.prompts import load_yaml

LANGUAGES: tuple[Language, ...] = ("nl", "en")


def strings(language: Language) -> dict[str, Any]:
    """Every string of the pages in ``language``, grouped by page (``common``, ``console``,
    ``room``, ``participant``, ``review``, ``steps``, ``errors``)."""
    data: dict[str, Any] = load_yaml(f"web.{language}.yaml")
    return data


def section_titles(language: Language) -> dict[str, str]:
    """The synthesis section headings, the same words the exports use."""
    titles: dict[str, str] = load_yaml(f"synthesis.{language}.yaml")["sections"]
    return titles
