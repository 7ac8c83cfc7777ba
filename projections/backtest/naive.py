"""The naive rule every model must beat: "no session for 2 cadence periods".

It sees the same public events as the projector: flagged ``at_risk`` once a group has
not held a session for two periods of its cadence (since forming, if it never met), and
``healthy`` again when it meets. It knows nothing of pauses, attendance or commitments;
an ended group is no longer watched.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from projections.fold.envelope import TICK, Envelope
from projections.fold.state import CADENCE_DAYS

FORMED = "peerpulse.group.formed.v1"
AMENDED = "peerpulse.group.details-amended.v1"
HELD = "peerpulse.session.held.v1"
ENDED = frozenset({"peerpulse.group.concluded.v1", "peerpulse.group.dissolved.v1"})

Changes = list[tuple[datetime, str]]


class Naive:
    """The rule's state over one stream; ``changes`` holds each group's level changes."""

    def __init__(self, periods: float = 2.0) -> None:
        self.periods = periods
        self.quiet_since: dict[str, datetime] = {}
        self.period: dict[str, timedelta] = {}
        self.changes: dict[str, Changes] = {}

    def see(self, ev: Envelope) -> None:
        """Update from one decoded public event (a clock tick judges every group)."""
        if ev.type == TICK:
            self._judge(ev.time)
        elif ev.type in (FORMED, AMENDED):
            cadence = ev.data.get("cadence") or "weekly"
            self.period[ev.subject] = timedelta(days=CADENCE_DAYS.get(cadence, 7))
            self.quiet_since.setdefault(ev.subject, ev.time)
        elif ev.type == HELD and ev.subject in self.quiet_since:
            self.quiet_since[ev.subject] = max(self.quiet_since[ev.subject], ev.time)
            self._set(ev.subject, ev.time, "healthy")
        elif ev.type in ENDED:
            self.quiet_since.pop(ev.subject, None)
            self._set(ev.subject, ev.time, "healthy")

    def _judge(self, now: datetime) -> None:
        for group, since in self.quiet_since.items():
            if now - since >= self.periods * self.period[group]:
                self._set(group, now, "at_risk")

    def level(self, group: str) -> str:
        """The group's level now (healthy before any change)."""
        changes = self.changes.get(group)
        return changes[-1][1] if changes else "healthy"

    def _set(self, group: str, at: datetime, level: str) -> None:
        if self.level(group) != level:
            self.changes.setdefault(group, []).append((at, level))
