"""What the model must return, per task: pydantic models and their strict JSON schemas.

These are the *wire* shapes, in pseudonym space: people are tokens (``P2``), evidence is a
source id from the data block plus a quote. They are deliberately flat and small, so a
weak model can fill them and a strict ``json_schema`` response format can enforce them.
After validation they become the same domain models the local engine returns
(:mod:`agent.models`); nothing of a wire object reaches the facilitator unchecked.

Every field is required (nullable where optional) and no extra keys are allowed, which
is what OpenAI's strict structured outputs demand.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from agent.llm.errors import ModelOutputInvalid


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Cite(_Wire):
    """A pointer into the data block: a source id (``u12``, ``position:p3``) and a quote."""

    source: str
    quote: str


class QuestionOut(_Wire):
    addressee: str  # a participant's token
    text: str
    grounded_in: Cite
    value: str | None


class QuestionsOut(_Wire):
    questions: list[QuestionOut]


class PointOut(_Wire):
    label: str
    evidence: list[Cite]


class AgreementsOut(_Wire):
    agreements: list[PointOut]
    differences: list[PointOut]


class ConsultOut(_Wire):
    answer: str
    evidence: list[Cite]


class SynthesisItemOut(_Wire):
    section: str
    text: str
    evidence: list[Cite]


class SynthesisOut(_Wire):
    items: list[SynthesisItemOut]


TASK_MODELS: dict[str, type[_Wire]] = {
    "questions": QuestionsOut,
    "agreements": AgreementsOut,
    "consult": ConsultOut,
    "synthesis": SynthesisOut,
}


def _strict(node: Any) -> Any:
    """Drop what strict mode does not accept (titles, defaults) and close every object."""
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items() if k not in ("title", "default")}
        if out.get("type") == "object":
            out["additionalProperties"] = False
            out["required"] = list(out.get("properties", {}))
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The strict JSON schema of a wire model, with ``$defs`` inlined.

    Inlined because some OpenAI-compatible servers (llama.cpp's grammar converter among
    them, in some versions) do not follow ``$ref``; the schemas are small enough.
    """
    raw = model.model_json_schema()
    defs = raw.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[-1]
                return inline(copy.deepcopy(defs[name]))
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    result: dict[str, Any] = _strict(inline(raw))
    return result


def constrain(
    schema: dict[str, Any],
    *,
    sources: Sequence[str],
    addressees: Sequence[str] | None = None,
    sections: Sequence[str] | None = None,
) -> dict[str, Any]:
    """``schema`` with the ids this call may use as enums: the data lines actually sent
    (``source``), the participants a question may address, the synthesis sections.

    A server that enforces the schema (OpenAI strict mode, llama.cpp and vLLM grammars)
    then cannot even write a citation to a line it was not given; the validator still
    checks every one, because not every server enforces anything.
    """
    enums: dict[str, list[str]] = {"source": list(sources)}
    if addressees is not None:
        enums["addressee"] = list(addressees)
    if sections is not None:
        enums["section"] = list(sections)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: walk(v) for k, v in node.items()}
            props = out.get("properties")
            if isinstance(props, dict):
                for name, values in enums.items():
                    if name in props and values and props[name].get("type") == "string":
                        props[name] = {**props[name], "enum": values}
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    result: dict[str, Any] = walk(schema)
    return result


def _cite_choices(refs: Sequence[str], quotes: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
    """Per source of ``refs`` with something quotable: a citation that can only be its id
    (a constant) with one of its quotable pieces (an enum)."""
    return [
        {
            "type": "object",
            "properties": {
                "source": {"type": "string", "const": ref},
                "quote": {"type": "string", "enum": list(quotes[ref])},
            },
            "required": ["source", "quote"],
            "additionalProperties": False,
        }
        for ref in refs
        if quotes.get(ref)
    ]


QUESTION_CHARS = (10, 180)  # the length of a pinned question after "P2, ", in characters


def _question_pattern(who: str) -> str:
    """``P2, <one line without '?', '"' or a backslash> ?``. Quotation marks are left out
    because a JSON-escaped one cannot be written in a pattern that llama.cpp's converter
    reads; typographic quotes remain."""
    low, high = QUESTION_CHARS
    return f'^{re.escape(who)}, [^"\\\\?\\x00-\\x1f]{{{low},{high}}}\\?$'


def _is_cite(node: Any) -> bool:
    return (
        isinstance(node, dict)
        and node.get("type") == "object"
        and set(node.get("properties", {})) == {"source", "quote"}
    )


def pin(
    schema: dict[str, Any],
    *,
    quotes: Mapping[str, Sequence[str]],
    owners: Mapping[str, Sequence[str]] | None = None,
    items: Mapping[str, tuple[int, int | None]] | None = None,
) -> dict[str, Any]:
    """``schema`` made as tight as a grammar can hold it, for servers that compile the
    schema into a grammar (llama.cpp): the decoder then cannot write anything else.

    - every citation is one source id with one of its ``quotes`` (pieces of the text
      actually sent, each one found verbatim by the validator), so a quote can no longer
      be misremembered or paired with the wrong line;
    - with ``owners`` (addressee token -> the sources of their own words), a question is
      one addressee with a citation of their own words, and its text opens with the
      addressee's token and ends at its one question mark (a bounded length, no line
      breaks); whether it is open, grounded and free of solutions is the validator's;
    - ``items`` (array property -> (min, max)) bounds the lists, with the validator's
      minimums (evidence of two parties needs two citations) and maximums.

    Too large for hosted strict modes, which cap enum sizes; those get :func:`constrain`'s
    schema. The validator checks every reply either way: a grammar guarantees form only.
    """
    bounds = dict(items or {})
    quotable = [ref for ref, q in quotes.items() if q]

    def walk(node: Any) -> Any:
        if _is_cite(node):
            choices = _cite_choices(quotable, quotes)
            return {"anyOf": choices} if choices else node
        if isinstance(node, list):
            return [walk(v) for v in node]
        if not isinstance(node, dict):
            return node
        out = {k: walk(v) for k, v in node.items()}
        props = out.get("properties")
        if isinstance(props, dict):
            for name, (low, high) in bounds.items():
                if name in props and props[name].get("type") == "array":
                    props[name] = {**props[name], "minItems": low}
                    if high is not None:
                        props[name]["maxItems"] = high
            if owners is not None and {"addressee", "grounded_in"} <= set(props):
                per_person = [
                    {
                        **out,
                        "properties": {
                            **props,
                            "addressee": {"type": "string", "const": who},
                            "text": {"type": "string", "pattern": _question_pattern(who)},
                            "grounded_in": {"anyOf": choices},
                        },
                    }
                    for who, refs in owners.items()
                    if (choices := _cite_choices(refs, quotes))
                ]
                if per_person:
                    return {"anyOf": per_person}
        return out

    result: dict[str, Any] = walk(schema)
    return result


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def parse(model: type[_Wire], content: str) -> Any:
    """Parse and validate a reply. Raises :class:`ModelOutputInvalid` with a reason only
    (never the content, which may hold meeting text)."""
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    if not text.startswith("{"):
        # JSON mode on a weak model: prose before the object. Take the outermost object.
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end <= start:
            raise ModelOutputInvalid("reply is not JSON")
        text = text[start : end + 1]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelOutputInvalid(f"malformed JSON at offset {exc.pos}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) or "root" for e in exc.errors()})
        raise ModelOutputInvalid(f"schema violation in: {', '.join(fields[:5])}") from None
