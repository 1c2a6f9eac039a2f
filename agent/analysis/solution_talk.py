"""Solution talk: an utterance that jumps to a concrete solution or proposal.

In the values step the method asks people to say what matters to them before anyone
proposes what to do. "We moeten gewoon tien procent bezuinigen" or "let's just sell the
building" skip that step; "voor mij is belangrijk dat ..." or a genuine question do not.

Detection works per sentence with the cue families of
``prompts/lexicons/solution_talk.yaml`` (see the comment at the top of that file):
solution statements, proposal markers, a modal verb with a concrete action, an opinion
opener with "we" + action, "gewoon" / "simply" with an action, an imperative, and
rhetorical questions that carry an action. Negations ("we moeten niet sluiten"), hedges
("als we moeten bezuinigen", "I'm afraid we'll have to") and value talk at the start of
a sentence ("voor mij is belangrijk dat ...") keep a sentence from counting.
The code holds the logic only; every word list is in the YAML file.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, cast

from agent.analysis.language import normalise_language
from agent.analysis.us_them import FoldedText, Span, bounded, fold_with_offsets, units
from agent.prompts import load_yaml

__all__ = [
    "Span",
    "detect_solution_talk",
    "find_solution_talk",
    "is_solution_talk",
    "mentions_action",
]

_WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")
# Words allowed between a modal ("we moeten") and its action ("bezuinigen"); Dutch puts
# the infinitive at the end of the clause, so this is generous.
_MODAL_WINDOW = 10
_PLAIN_WINDOW = 4
_PLAIN_BEFORE = 3
# A negation this many words before a modal still governs it ("ik denk niet dat we ...").
_NEG_LOOKBACK = 4
# Value talk counts when it opens the sentence (within this many characters).
_VALUE_OPENING = 25


@dataclass(frozen=True)
class _Lexicon:
    proposal: re.Pattern[str]
    solution: re.Pattern[str]
    process: re.Pattern[str]
    rhetorical: re.Pattern[str]
    embedded_question: re.Pattern[str]
    modal: re.Pattern[str]
    opinion: re.Pattern[str]
    we: re.Pattern[str]
    plain: re.Pattern[str]
    plain_after: re.Pattern[str]
    action: re.Pattern[str]
    amount: re.Pattern[str]
    imperative: re.Pattern[str]
    negation: re.Pattern[str]
    hedges: re.Pattern[str]
    value_talk: re.Pattern[str]
    exclusions: re.Pattern[str]


@functools.cache
def _lexicon(language: str) -> _Lexicon:
    data = cast(dict[str, Any], load_yaml("lexicons/solution_talk.yaml"))[language]
    # Negations such as "n't" end inside a word, so they get no leading word edge.
    negation = re.compile(
        "|".join(
            rf"{re.escape(n)}(?!\w)" if "'" in n else rf"(?<!\w){re.escape(n)}(?!\w)"
            for n in data["negation"]
        )
    )
    return _Lexicon(
        proposal=bounded(data["proposal"]),
        solution=bounded(data["solution"]),
        process=bounded(data["process"]),
        rhetorical=bounded(data["rhetorical"]),
        embedded_question=bounded(data["embedded_question"]),
        modal=bounded(data["modal"]),
        opinion=bounded(data["opinion"]),
        we=bounded(data["we"]),
        plain=bounded(data["plain"]),
        plain_after=bounded(data["plain_after"]),
        action=bounded(data["action"]),
        amount=bounded(data["amount"]),
        imperative=bounded(data["imperative"]),
        negation=negation,
        hedges=bounded(data["hedges"]),
        value_talk=bounded(data["value_talk"]),
        exclusions=bounded(data["exclusions"]),
    )


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    """Replace matches with spaces, keeping offsets, so excluded phrases match nothing."""
    return pattern.sub(lambda m: " " * len(m.group()), text)


def _words_between(text: str, start: int, end: int) -> int:
    return len(_WORD.findall(text[start:end])) if end > start else 0


def _clause_before(unit: str, pos: int) -> str:
    """Text from the last clause break before ``pos`` up to ``pos``."""
    head = unit[:pos]
    cut = max(head.rfind(","), head.rfind(";"), head.rfind(":"), head.rfind(" - "))
    return head[cut + 1 :]


def _clause_after(unit: str, pos: int) -> str:
    """Text from ``pos`` up to the next clause break."""
    tail = unit[pos:]
    cut = re.search(r"[,;:]| - ", tail)
    return tail[: cut.start()] if cut else tail


def _last_words(text: str, n: int) -> str:
    return " ".join(_WORD.findall(text)[-n:])


def _unit_kind(unit: str, lex: _Lexicon) -> str | None:
    """The kind of solution talk in one folded sentence, or None."""
    unit = _blank(unit, lex.exclusions)
    actions = list(lex.action.finditer(unit))
    # Amounts ("tien procent") are an action only right after a modal or "gewoon".
    with_amounts = sorted(actions + list(lex.amount.finditer(unit)), key=lambda a: a.start())
    stripped = unit.rstrip()
    if stripped.endswith("?"):
        # A question proposes only when it is rhetorical and carries an action, or
        # a "gewoon"/"just" that makes whatever follows look obvious.
        for m in lex.rhetorical.finditer(unit):
            for a in actions:
                if a.start() < m.start():
                    continue
                between = unit[m.end() : a.start()] if a.start() > m.end() else ""
                if not lex.embedded_question.search(between):
                    return "rhetorical"
            for plain in lex.plain_after.finditer(unit, m.start()):
                between = unit[m.end() : plain.start()] if plain.start() > m.end() else ""
                if (
                    _words_between(unit, m.end(), plain.start()) <= _PLAIN_WINDOW
                    and not lex.embedded_question.search(between)
                    and not lex.negation.search(unit[plain.end() :])
                    and not lex.process.search(unit[plain.end() :])
                ):
                    return "rhetorical"
        return None
    if lex.solution.search(unit):
        return "solution"
    for m in lex.proposal.finditer(unit):
        # Only the proposal's own clause says whether it is about the conversation:
        # "laten we gewoon één methode kiezen, dan hoeft niet elke school ...".
        rest = _clause_after(unit, m.end())
        if any(a.start() >= m.end() for a in actions) or not lex.process.search(rest):
            return "proposal"
    value = lex.value_talk.search(unit)
    if value is not None and value.start() <= _VALUE_OPENING:
        return None  # "Voor mij is belangrijk dat ...": values, even if an action follows
    for m in lex.modal.finditer(unit):
        if _modal_action(unit, m, with_amounts, lex):
            return "modal_action"
    for m in lex.opinion.finditer(unit):
        if _opinion_action(unit, m, actions, lex):
            return "opinion_action"
    for m in lex.plain.finditer(unit):
        for a in with_amounts:
            if (
                a.start() >= m.end()
                and _words_between(unit, m.end(), a.start()) <= _PLAIN_WINDOW
                and _clear(unit, m.start(), unit[m.end() : a.start()], lex)
            ):
                return "plain_action"
    for m in lex.plain_after.finditer(unit):
        # "Dan sluiten we toch gewoon de locatie": the action comes first.
        for a in actions:
            if (
                a.end() <= m.start()
                and _words_between(unit, a.end(), m.start()) <= _PLAIN_BEFORE
                and _clear(unit, a.start(), unit[a.end() : m.start()], lex)
            ):
                return "plain_action"
    opening = re.sub(r"^[\s\"'“‘(-]*(?:(?:dus|dan|nou|so|well|ok|okay|en|and)[,\s]+)*", "", unit)
    if lex.imperative.match(opening):
        return "imperative"
    return None


def _clear(unit: str, start: int, between: str, lex: _Lexicon) -> bool:
    """No hedge before ``start`` in its clause, and no negation, hedge or clause break
    in ``between``: then a cue and its action belong together as a proposal."""
    before = _clause_before(unit, start)
    if lex.hedges.search(before) or lex.negation.search(_last_words(before, _NEG_LOOKBACK)):
        return False
    return not (
        lex.negation.search(between) or lex.hedges.search(between) or re.search(r"[,;:]", between)
    )


def _modal_action(unit: str, m: re.Match[str], actions: list[re.Match[str]], lex: _Lexicon) -> bool:
    """A modal ("we moeten") followed closely by an action, not negated or hedged."""
    for a in actions:
        if a.start() < m.end() or _words_between(unit, m.end(), a.start()) > _MODAL_WINDOW:
            continue
        if _clear(unit, m.start(), unit[m.end() : a.start()], lex):
            return True
    return False


def _opinion_action(
    unit: str, m: re.Match[str], actions: list[re.Match[str]], lex: _Lexicon
) -> bool:
    """An opinion opener followed by "we" right next to an action ("verhogen we")."""
    for a in actions:
        if a.start() < m.end() or _words_between(unit, m.end(), a.start()) > _MODAL_WINDOW:
            continue
        near = unit[max(m.end(), a.start() - 4) : a.end() + 4]
        if lex.we.search(near) and _clear(unit, m.start(), unit[m.end() : a.start()], lex):
            return True
    return False


def find_solution_talk(text: str, language: str) -> list[Span]:
    """Every sentence of ``text`` that jumps to a solution, as spans of the original text."""
    lex = _lexicon(normalise_language(language))
    ft: FoldedText = fold_with_offsets(text)
    spans: list[Span] = []
    for lo, hi in units(ft.folded):
        kind = _unit_kind(ft.folded[lo:hi], lex)
        if kind is not None:
            # Skip leading whitespace so the span starts at the sentence.
            while lo < hi and ft.folded[lo].isspace():
                lo += 1
            spans.append(ft.span(lo, hi, kind))
    return spans


def detect_solution_talk(text: str, language: str) -> Span | None:
    """The first sentence of ``text`` that jumps to a concrete solution, or None.

    ``language`` is the meeting's language ("nl" or "en"). The span's ``kind`` is one of
    ``solution``, ``proposal``, ``modal_action``, ``opinion_action``, ``plain_action``,
    ``imperative`` or ``rhetorical``.
    """
    found = find_solution_talk(text, language)
    return found[0] if found else None


def is_solution_talk(text: str, language: str) -> bool:
    """True when :func:`detect_solution_talk` finds a solution."""
    return detect_solution_talk(text, language) is not None


def mentions_action(text: str, language: str) -> bool:
    """True when ``text`` names a concrete action (cut, close, sell, ...), in any framing."""
    lex = _lexicon(normalise_language(language))
    folded = fold_with_offsets(text).folded
    return bool(lex.action.search(_blank(folded, lex.exclusions)))
