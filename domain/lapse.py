"""The lapse policy as a pure function of a group's session history.

A member lapses after ``lapse_after`` consecutive unexcused absences from held
sessions. Excused absences neither count nor reset the streak; sessions held inside
a pause never count; being present resets the streak (and re-engages a lapsed
member). Because the standing is recomputed from the whole history, late marks,
corrections and sessions reported out of order all land in the same place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

PRESENT, ABSENT, EXCUSED = "present", "absent", "excused"
STATUSES = (PRESENT, ABSENT, EXCUSED)


@dataclass(frozen=True)
class Standing:
    """Where one member stands after every counted session."""

    lapsed: bool
    misses: int
    last_seen: datetime | None


def in_pause(at: datetime, pauses: Sequence[Sequence[datetime]]) -> bool:
    """Whether ``at`` falls inside any ``[start, end)`` pause interval."""
    return any(start <= at < end for start, end in pauses)


def standing(
    member: str,
    newest_first: Iterable[Mapping[str, Any]],
    pauses: Sequence[Sequence[datetime]],
    lapse_after: int,
) -> Standing:
    """The member's standing: lapsed iff their unexcused absences since last present reach N.

    ``newest_first`` are the held sessions (records with ``held_at`` and ``attendance``)
    from the latest back; only the stretch after the last presence matters, so the
    walk stops there.
    """
    misses = 0
    for session in newest_first:
        if in_pause(session["held_at"], pauses):
            continue
        status = session["attendance"].get(member)
        if status == PRESENT:
            return Standing(misses >= lapse_after, misses, session["held_at"])
        if status == ABSENT:
            misses += 1
    return Standing(misses >= lapse_after, misses, None)
