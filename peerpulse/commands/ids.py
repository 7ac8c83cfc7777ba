"""Ids on the command line: a full id or any unique prefix of it (``alerts ack 105204a0``).

A prefix is resolved against the store; an unknown or ambiguous one ends in one line
saying so (with how many ids it matches), never in acting on a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from infra.errors import UserFacingError

MIN_PREFIX = 4
"""Shorter prefixes are refused: they would match by chance as soon as a store grows."""
SHOWN = 3


class UnknownId(UserFacingError):
    """No stored id starts with the given prefix."""


class AmbiguousId(UserFacingError):
    """More than one stored id starts with the given prefix."""


def resolve(given: str, what: str, starting_with: Callable[[str], Sequence[str]]) -> str:
    """The one stored ``what`` id that is ``given`` or starts with it.

    ``starting_with(prefix)`` returns the stored ids beginning with a (lower-case) prefix.
    """
    prefix = given.strip().lower()
    if len(prefix) < MIN_PREFIX or not re.fullmatch(r"[0-9a-f-]+", prefix):
        raise UserFacingError(
            f"{given!r} is not a valid {what} id: give the id or at least its first "
            f"{MIN_PREFIX} hex digits"
        )
    found = list(starting_with(prefix))
    if prefix in found:
        return prefix
    if len(found) == 1:
        return found[0]
    if not found:
        raise UnknownId(f"no {what} id starts with {given!r}")
    shown = ", ".join(found[:SHOWN]) + (", …" if len(found) > SHOWN else "")
    raise AmbiguousId(f"{given!r} matches {len(found)} {what} ids ({shown}); give more of the id")


def from_ids(ids: Sequence[str]) -> Callable[[str], list[str]]:
    """``starting_with`` over a list already in hand (a store with a few rows: tokens)."""
    return lambda prefix: [i for i in ids if i.lower().startswith(prefix)]
