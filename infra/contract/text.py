"""Text made safe where it enters: the one rule for free text and ids on every contract.

Whatever a sender writes ends up in PostgreSQL text columns, on the public topic and on
dashboards, so characters that break those (NUL) or mislead a reader (line breaks in a
name, bidi overrides) are dealt with at the door, once, by these pydantic types:

- **Display text** (names, goals, reasons, contacts, display names): control characters
  (C0, DEL, C1 — NUL included) and the bidi embedding/override/isolate characters
  (U+202A–U+202E, U+2066–U+2069) are removed; every run of whitespace (tab, CR, LF, the
  Unicode spaces and line separators) becomes one space; the ends are stripped. Lengths
  are checked on the text as sent; a name that normalises to nothing is refused.
- **Identifiers** (external ids, message ids, source, time zone): never rewritten, since
  peerpulse derives its UUIDs from them; one holding a control or bidi character, or
  only whitespace, is a validation error naming the character.

Lone surrogates cannot reach either: pydantic refuses them as invalid JSON or invalid
strings before these validators run.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, GetJsonSchemaHandler, StringConstraints
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

FORBIDDEN_CLASS = r"\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
"""Characters no normalised text or identifier holds (a regex character class body)."""

_FORBIDDEN = re.compile(rf"[{FORBIDDEN_CLASS}]")
_FORBIDDEN_OR_SPACE = re.compile(rf"[{FORBIDDEN_CLASS}\s]")
_DROP = {
    code: None for code in range(0x2070) if _FORBIDDEN.match(chr(code)) and not chr(code).isspace()
}
"""``str.translate`` table removing every forbidden character that is not whitespace."""


def normalise_text(value: str) -> str:
    """``value`` as display text: no control or bidi characters, single spaces, no ends."""
    return " ".join(value.translate(_DROP).split())


def identifier_pattern(spaces: bool = True) -> str:
    """The identifier rule as a pattern (valid in Python and in JSON Schema, ECMA-262)."""
    return rf"^(?!\s+$)[^{FORBIDDEN_CLASS}]*$" if spaces else rf"^[^{FORBIDDEN_CLASS}\s]*$"


def identifier_problem(value: str, spaces: bool = True) -> str | None:
    """Why ``value`` cannot be an identifier (``spaces``: may it hold whitespace), or None."""
    found = (_FORBIDDEN if spaces else _FORBIDDEN_OR_SPACE).search(value)
    if found is None:
        return "must not be only whitespace" if value.isspace() else None
    char = found.group()
    kind = {"Cc": "control ", "Cf": "bidi control "}.get(unicodedata.category(char), "whitespace ")
    return f"{kind}character U+{ord(char):04X} at position {found.start()} is not allowed"


@dataclass(frozen=True)
class _IdentifierRule:
    """Checks an identifier and publishes the rule as the JSON Schema ``pattern``."""

    spaces: bool

    def __call__(self, value: str) -> str:
        problem = identifier_problem(value, self.spaces)
        if problem is not None:
            raise ValueError(problem)
        return value

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["pattern"] = identifier_pattern(self.spaces)
        return schema


def _not_blank(value: str) -> str:
    if not value:
        raise ValueError("must hold visible text, not only whitespace or control characters")
    return value


def safe_text(max_length: int | None = None, *, min_length: int = 0, blank: bool = True) -> Any:
    """Display text, normalised on arrival; its length is checked on the text as sent.

    ``blank=False``: refused when nothing visible is left after normalising. The wire
    models keep ``blank=True`` so that an event stored before this rule still publishes.
    """
    length = StringConstraints(min_length=min_length or None, max_length=max_length)
    checks = () if blank else (AfterValidator(_not_blank),)
    return Annotated[str, length, AfterValidator(normalise_text), *checks]


def identifier(max_length: int, *, min_length: int = 1, spaces: bool = True) -> Any:
    """An id of ``min_length``..``max_length`` characters, no control or bidi characters.

    ``spaces=False``: no whitespace either (a source system's name).
    """
    rule = _IdentifierRule(spaces)
    length = StringConstraints(min_length=min_length or None, max_length=max_length)
    return Annotated[str, length, AfterValidator(rule), rule]
