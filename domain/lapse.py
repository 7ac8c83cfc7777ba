"""The lapse policy as a pure function of a group's session history.

A member lapses after ``lapse_after`` consecutive unexcused absences from held
sessions. Excused absences neither count nor reset the streak; sessions held inside
a pause never count; being present resets the streak (and re-engages a lapsed
member). Because the standing is recomputed from the whole history, late marks,
corrections and sessions reported out of order all land in the same place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


@dataclass(frozen=True)
class CountedSession:
    """A held session outside any pause, with its attendance marks (member key -> status)."""

    session_id: str
    held_at: datetime
    attendance: Mapping[str, str]


def in_pause(at: datetime, pauses: Sequence[Sequence[datetime]]) -> bool:
    """Whether ``at`` falls inside any ``[start, end)`` pause interval."""
    return any(start <= at < end for start, end in pauses)


def counted_sessions(
    sessions: Mapping[str, Mapping[str, Any]], pauses: Sequence[Sequence[datetime]]
) -> list[CountedSession]:
    """Held sessions in the order they happened, leaving out those held in a pause."""
    held = sorted(
        (s["held_at"], s["seq"], sid, s["attendance"])
        for sid, s in sessions.items()
        if s["status"] == "held"
    )
    return [
        CountedSession(sid, at, attendance)
        for at, _, sid, attendance in held
        if not in_pause(at, pauses)
    ]


def standing(member: str, history: Sequence[CountedSession], lapse_after: int) -> Standing:
    """The member's standing: lapsed iff their unexcused absences since last present reach N."""
    misses = 0
    last_seen: datetime | None = None
    for session in history:
        status = session.attendance.get(member)
        if status == PRESENT:
            misses, last_seen = 0, session.held_at
        elif status == ABSENT:
            misses += 1
    return Standing(lapsed=misses >= lapse_after, misses=misses, last_seen=last_seen)
