"""Pseudonyms: names, e-mail addresses and phone numbers never leave the machine.

Before anything is sent, every participant and party name, e-mail address and phone
number in a text is replaced by a stable pseudonym (``P1``, ``P2``, ...): participants
first in table order, then parties, then whatever else turns up, numbered as first seen.
The same meeting always gets the same numbers, so the model can follow a person through
the transcript, and a follow-up call means the same person by the same token.

Two ways back:

- **Quotes** are mapped back exactly. Each masked text keeps a map of its replacements,
  so a quote the model copies from a masked text is located there and the original words
  at the same place are returned. A restored quote is therefore verbatim in the original
  by construction, whatever surface form ("Anna", "De Vries", "Karims") was masked.
- **Free text** (labels, questions, answers) gets a display name per pseudonym: a
  person's first name (their full name when two people share it), a party's name.

Text that already contains a token like ``P3`` (a parking level) gets a pseudonym of its
own, so a restore can never turn it into a person.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from agent.analysis.text import normalize_ws
from agent.roster import Roster

AliasKind = Literal["person", "party", "email", "phone", "literal", "name"]

# Lower-case name particles that are not names on their own ("Anna de Vries").
_PARTICLES = frozenset(
    {"de", "van", "der", "den", "het", "ter", "ten", "te", "la", "le", "el", "al", "da", "di"}
)
_MIN_TOKEN = 3  # shorter name parts ("Bo", "El") are not masked alone, only in the full name
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Phone numbers as written in NL/EU/UK (+31 6 1234 5678, 06-12345678, 020 794 6000,
# 0031 ...) and the US form (555) 123-4567. Nine to fifteen digits; see _is_phone.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d|\(?0)[\d\s().-]{6,20}\d(?![\w])|\(\d{3}\)\s?\d{3}[-\s]\d{4}(?!\w)"
)
_LITERAL = re.compile(r"(?<!\w)P\d+(?!\w)")
# An alias in model output. "P3s" is a masked Dutch genitive ("Karims"): keep the "s".
_ALIAS_OUT = re.compile(r"(?<![\w])P(\d+)(?=s?(?![\w]))")
_QUOTED = re.compile(r"[\"“„«]([^\"“”„«»]{2,}?)[\"”»]|(?<![\w])['‘]([^'‘’\n]{2,}?)['’](?![\w])")
_EDGE = " \"'“”‘’„«»"


def _is_phone(surface: str) -> bool:
    digits = sum(c.isdigit() for c in surface)
    return 9 <= digits <= 15


def _word_pattern(phrase: str, case_sensitive: bool, genitive: bool = False) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(p) for p in phrase.split())
    tail = r"(?=s?(?!\w))" if genitive else r"(?!\w)"
    return re.compile(rf"(?<!\w){body}{tail}", 0 if case_sensitive else re.IGNORECASE)


@dataclass(frozen=True)
class Alias:
    """One pseudonym: its token, what it stands for, and what a restore writes for it."""

    token: str
    kind: AliasKind
    ident: str  # participant id, party id, or the original string
    display: str


@dataclass(frozen=True)
class Masked:
    """One whitespace-normalised text and its masked form, with a map between them.

    ``spans`` holds ``(masked_start, masked_end, original_start, original_end)`` per
    replacement, in order.
    """

    original: str
    text: str
    spans: tuple[tuple[int, int, int, int], ...] = ()

    def _to_original(self, pos: int, *, is_end: bool) -> int:
        """Map an offset in ``text`` to ``original``. An offset inside a replaced token
        widens to the whole original name, so a quote never cuts a name in half."""
        shift = 0
        for ms, me, os_, oe in self.spans:
            if is_end:
                if pos <= ms:
                    break
                if pos <= me:
                    return oe
            else:
                if pos < ms:
                    break
                if pos < me:
                    return os_
            shift = oe - me
        return pos + shift

    def find(self, quote: str) -> str | None:
        """The original words behind ``quote`` when it occurs verbatim in the masked text.

        Whitespace is normalised; the first letter's case may differ (a quote lifted from
        the start of a sentence); surrounding quotation marks, an ellipsis and trailing
        punctuation the model added are ignored. Returns None when it does not occur.
        """
        q = normalize_ws(quote).strip(_EDGE)
        for suffix in ("...", "…"):
            q = q.removesuffix(suffix).strip(_EDGE)
        q = q.removeprefix("...").removeprefix("…").strip(_EDGE)
        if not q:
            return None
        for candidate in dict.fromkeys(
            (
                q,
                q.rstrip(".,;:!?"),
                q[:1].swapcase() + q[1:],
                q[:1].swapcase() + q[1:].rstrip(".,;:!?"),
            )
        ):
            if not candidate:
                continue
            at = self.text.find(candidate)
            if at >= 0:
                start = self._to_original(at, is_end=False)
                end = self._to_original(at + len(candidate), is_end=True)
                return self.original[start:end]
        return None


@dataclass
class Pseudonymiser:
    """The pseudonyms of one meeting. Keep one per meeting so numbers stay stable."""

    roster: Roster
    enabled: bool = True
    _aliases: dict[str, Alias] = field(default_factory=dict, init=False)
    _by_key: dict[tuple[str, str], Alias] = field(default_factory=dict, init=False)
    _patterns: list[tuple[re.Pattern[str], Alias, Callable[[str], bool] | None]] = field(
        default_factory=list, init=False
    )

    def __post_init__(self) -> None:
        r = self.roster
        firsts = [p.first_name for p in r.people.values()]
        for p in r.people.values():
            display = p.first_name if firsts.count(p.first_name) == 1 else p.name
            self._new("person", p.id, display)
        for pid, name in r.parties.items():
            self._new("party", pid, name)
        self._build_patterns()

    # ---- aliases -----------------------------------------------------------------------

    def _new(self, kind: AliasKind, ident: str, display: str) -> Alias:
        key = (kind, ident)
        if key in self._by_key:
            return self._by_key[key]
        alias = Alias(f"P{len(self._aliases) + 1}", kind, ident, display)
        self._aliases[alias.token] = alias
        self._by_key[key] = alias
        return alias

    def person(self, participant_id: str) -> str:
        """The token of a participant (``P1``)."""
        return self._by_key[("person", participant_id)].token

    def party(self, party_id: str) -> str:
        """The token of a party."""
        return self._by_key[("party", party_id)].token

    def alias(self, token: str) -> Alias | None:
        return self._aliases.get(token)

    def person_of(self, token: str) -> str | None:
        """The participant id behind ``token``, or None when it is not a participant's."""
        a = self._aliases.get(token.strip())
        return a.ident if a is not None and a.kind == "person" else None

    def _build_patterns(self) -> None:
        r = self.roster
        owners: dict[str, set[str]] = {}
        for p in r.people.values():
            for part in p.name.split():
                if len(part) >= _MIN_TOKEN and part.lower() not in _PARTICLES:
                    owners.setdefault(part, set()).add(p.id)
        pats: list[tuple[re.Pattern[str], Alias, Callable[[str], bool] | None]] = []
        for p in r.people.values():
            alias = self._by_key[("person", p.id)]
            pats.append((_word_pattern(p.name, case_sensitive=False, genitive=True), alias, None))
            parts = p.name.split()
            surname = parts[1:]
            if len(surname) > 1:  # "de Vries", "El Amrani": the surname as written in full
                pats.append((_word_pattern(" ".join(surname), False, genitive=True), alias, None))
            for part in parts:
                if len(part) < _MIN_TOKEN or part.lower() in _PARTICLES:
                    continue
                # A name part two people share ("Jansen") is masked, but restored as itself.
                owner = alias if owners[part] == {p.id} else self._new("name", part, part)
                # Case-sensitive: "Ben" is a name, "ben" is Dutch for "am".
                pats.append((_word_pattern(part, case_sensitive=True, genitive=True), owner, None))
        for pid, name in r.parties.items():
            alias = self._by_key[("party", pid)]
            pats.append((_word_pattern(name, case_sensitive=False), alias, None))
            if len(pid) >= 2:
                # A party id as an acronym ("OR", "RvT"), not as a word ("or", "team").
                pats.append(
                    (
                        _word_pattern(pid, case_sensitive=False),
                        alias,
                        lambda s: sum(c.isupper() for c in s) >= 2,
                    )
                )
        self._patterns = pats

    # ---- masking ------------------------------------------------------------------------

    def _dynamic(self, text: str) -> list[tuple[int, int, Alias]]:
        out: list[tuple[int, int, Alias]] = []
        for m in _EMAIL.finditer(text):
            out.append((m.start(), m.end(), self._new("email", m.group(0).lower(), m.group(0))))
        for m in _PHONE.finditer(text):
            surface = m.group(0).strip()
            if _is_phone(surface):
                key = "".join(c for c in surface if c.isdigit())
                start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
                out.append((start, start + len(surface), self._new("phone", key, surface)))
        for m in _LITERAL.finditer(text):
            out.append((m.start(), m.end(), self._new("literal", m.group(0), m.group(0))))
        return out

    def mask(self, text: str) -> Masked:
        """``text`` (whitespace-normalised) with every name, address and number replaced."""
        original = normalize_ws(text)
        if not self.enabled:
            return Masked(original=original, text=original)
        found: list[tuple[int, int, int, Alias]] = []
        for start, end, alias in self._dynamic(original):
            found.append((start, -(end - start), end, alias))
        for pattern, alias, check in self._patterns:
            for m in pattern.finditer(original):
                if check is None or check(m.group(0)):
                    found.append((m.start(), -(m.end() - m.start()), m.end(), alias))
        found.sort(key=lambda f: (f[0], f[1]))
        pieces: list[str] = []
        spans: list[tuple[int, int, int, int]] = []
        pos = out_len = 0
        for start, _, end, alias in found:
            if start < pos:
                continue  # overlaps a longer or earlier match already taken
            pieces.append(original[pos:start])
            out_len += start - pos
            spans.append((out_len, out_len + len(alias.token), start, end))
            pieces.append(alias.token)
            out_len += len(alias.token)
            pos = end
        pieces.append(original[pos:])
        return Masked(original=original, text="".join(pieces), spans=tuple(spans))

    # ---- restoring ------------------------------------------------------------------------

    def unknown_aliases(self, text: str) -> list[str]:
        """Tokens in ``text`` that look like pseudonyms but stand for nobody here."""
        if not self.enabled:
            return []
        return [f"P{n}" for n in _ALIAS_OUT.findall(text) if f"P{n}" not in self._aliases]

    def restore(self, text: str, sources: Iterable[Masked] = ()) -> str:
        """Model output with real names back in. Quoted words that occur in one of
        ``sources`` come back verbatim; every other token gets its display name."""
        if not self.enabled:
            return _restore_tokens(text, self._aliases)
        masked_sources = list(sources)

        def requote(m: re.Match[str]) -> str:
            inner = m.group(1) if m.group(1) is not None else m.group(2)
            for s in masked_sources:
                found = s.find(inner)
                if found is not None:
                    whole = m.group(0)
                    i = whole.find(inner)
                    return whole[:i] + found + whole[i + len(inner) :]
            return m.group(0)

        # Quotes first, while their tokens still mark where the names were.
        pieces: list[str] = []
        last = 0
        for m in _QUOTED.finditer(text):
            pieces.append(_restore_tokens(text[last : m.start()], self._aliases))
            quoted = requote(m)
            pieces.append(
                quoted if quoted != m.group(0) else _restore_tokens(quoted, self._aliases)
            )
            last = m.end()
        pieces.append(_restore_tokens(text[last:], self._aliases))
        return "".join(pieces)

    def roster_lines(self) -> list[str]:
        """The table as the model may see it: tokens (and, when masking is off, names)."""
        r = self.roster
        lines = []
        for pid, name in r.parties.items():
            token = self.party(pid)
            lines.append(f"{token}: party" + ("" if self.enabled else f" ({name})"))
        for p in r.people.values():
            role = "facilitator" if p.is_facilitator else "participant"
            extra = "" if self.enabled else f" ({p.name})"
            lines.append(f"{self.person(p.id)}: {role}{extra}, party {self.party(p.party)}")
        return lines


def _restore_tokens(text: str, aliases: dict[str, Alias]) -> str:
    def swap(m: re.Match[str]) -> str:
        alias = aliases.get(m.group(0))
        return alias.display if alias is not None else m.group(0)

    return _ALIAS_OUT.sub(swap, text)


def find_in(sources: Iterable[Masked], quote: str) -> str | None:
    """The original words of ``quote`` in the first of ``sources`` that holds it."""
    for s in sources:
        found = s.find(quote)
        if found is not None:
            return found
    return None
