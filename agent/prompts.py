"""Loader for everything in ``prompts/``: YAML data files and text templates.

Templates use ``string.Template`` syntax (``$name`` / ``${name}``). Rendering fails
loudly on a missing variable, so a prompt never goes out half-filled.
"""

from __future__ import annotations

import functools
import string
from importlib import resources
from typing import Any

import yaml

from agent.errors import ConfigurationError


def _read(name: str) -> str:
    path = resources.files("prompts").joinpath(name)
    if not path.is_file():
        raise ConfigurationError(f"prompt file not found: prompts/{name}")
    return path.read_text(encoding="utf-8")


@functools.cache
def load_yaml(name: str) -> Any:
    """Load and cache ``prompts/<name>`` as YAML. Callers must not mutate the result."""
    try:
        return yaml.safe_load(_read(name))
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"prompts/{name} is not valid YAML: {exc}") from exc


@functools.cache
def load_text(name: str) -> str:
    """Load and cache the raw text of ``prompts/<name>``."""
    return _read(name)


def render(template: str, /, **variables: object) -> str:
    """Fill a ``$var`` template; a variable the template uses but the caller omits raises."""
    try:
        return string.Template(template).substitute({k: str(v) for k, v in variables.items()})
    except KeyError as exc:
        raise ConfigurationError(f"prompt variable missing: {exc.args[0]}") from exc


def render_file(name: str, /, **variables: object) -> str:
    """Load ``prompts/<name>`` and render it with ``variables``."""
    return render(load_text(name), **variables)
