"""Turns one group's fate (phases per period) into dated facts with realistic noise.

Noise: sessions jittered by up to two days, some moved (cancelled *with* a new date),
excused absences, roll calls with one member's mark arriving late and alone, meetings
where nobody took attendance, recurring invites that outlive a dead group, commitments
never settled when a group stops, groups that never record commitments at all. The
group's life around the sessions (roster, replacements, pauses, holiday, truth) is in
:mod:`infra.simulator.lifecycle`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random
from typing import Any

from infra.simulator import lifecycle
from infra.simulator.plan import PERIODS, Fact, GroupTruth, Phase, Shape

H = timedelta(hours=1)
MIN = timedelta(minutes=1)
HEALTHY, MAKE_UP = 0.9, 0.98
"""A healthy group (meeting chance >= HEALTHY) that skipped a session makes the next one."""
JITTER_DAYS = (-2, -1, -1, 0, 0, 0, 0, 0, 0, 1, 1, 2)
"""A session's day moves around its cadence by at most two days (issue 13: ±2 days)."""
MOVED = 0.06
"""Share of held sessions first cancelled and moved to a new date a day or three later."""
REASONS = ("clash with deadlines", "facilitator ill", "low availability")


@dataclass
class GroupSpec:
    """Everything fixed about a group before its fate plays out."""

    group: str
    fate: str
    cadence: str
    formed_at: datetime
    first_session: datetime
    roster: list[str]
    end: datetime
    coordinator: str = "coord-1"
    roster_first: bool = False
    """The roster system publishes the members before the calendar forms the group."""
    records_commitments: bool = True
    holiday: tuple[datetime, datetime] | None = None
    """The program-wide break ``[start, end)``: no group meets inside it."""
    announces_holiday: bool = False
    """The group sends ``group.paused``/``group.resumed`` around the holiday."""
    replacements: dict[int, int] = field(default_factory=dict)
    """Period -> members who leave at its session and are replaced by a newcomer."""

    @property
    def period(self) -> timedelta:
        """One cadence period."""
        return PERIODS[self.cadence]

    def session_time(self, k: int) -> datetime:
        """Nominal time of the session of period ``k``."""
        return self.first_session + k * self.period


@dataclass
class State:
    """What rendering has produced so far (the roster changes as members come and go)."""

    roster: list[str]
    facts: list[Fact] = field(default_factory=list)
    left: set[str] = field(default_factory=set)
    open_commitments: list[tuple[str, str, float]] = field(default_factory=list)
    held: list[datetime] = field(default_factory=list)
    missed_last: bool = False
    replaced: int = 0
    pauses: list[tuple[datetime, datetime]] = field(default_factory=list)
    met_after_holiday: bool = False
    late_marks: dict[str, datetime] = field(default_factory=dict)
    """Member -> their newest late attendance mark (they leave only after it)."""


class Renderer:
    """Renders one group; ``rng`` is the group's own random stream."""

    def __init__(self, spec: GroupSpec, shape: Shape, rng: Random) -> None:
        self.spec, self.shape, self.rng = spec, shape, rng
        self.s = State(roster=list(spec.roster))

    def fact(self, at: datetime, kind: str, key: str, **data: Any) -> None:
        """Record one fact about this group (nothing after the window end)."""
        if at <= self.spec.end:
            self.s.facts.append(Fact(at, kind, self.spec.group, data, f"{self.spec.group}:{key}"))

    def render(self) -> tuple[list[Fact], GroupTruth]:
        """All facts of the group, and the truth about it."""
        lifecycle.opening(self)
        pauses = lifecycle.breaks(self)
        for k, phase in enumerate(self.shape.phases):
            if not phase.paused:
                self._period(k, phase)
        return sorted(self.s.facts, key=lambda f: f.at), lifecycle.truth(self, pauses)

    def _period(self, k: int, phase: Phase) -> None:
        rng, sp = self.rng, self.spec
        shift = rng.choice(JITTER_DAYS)
        if self.shape.pause and k == self.shape.pause[1]:
            shift = abs(shift)
        if self.shape.pause and k == self.shape.pause[0] - 1:
            shift = -abs(shift)
        at = sp.session_time(k) + shift * 24 * H + timedelta(minutes=rng.randint(-30, 30))
        if lifecycle.in_holiday(sp, at):
            at = lifecycle.after_holiday(self, at)
        if at is None or at > sp.end:
            return
        held_at = self._session(k, phase, at, f"{sp.group}-s{k}")
        lifecycle.leave(self, k, phase, held_at + 80 * MIN)

    def _session(self, k: int, phase: Phase, at: datetime, sid: str) -> datetime:
        """Period ``k``'s session (scheduled, moved, held or not); when it was (to be) held."""
        rng = self.rng
        if phase.scheduled:
            self._schedule(sid, at)
        meets = MAKE_UP if self.s.missed_last and phase.meets >= HEALTHY else phase.meets
        if rng.random() >= meets:
            self.s.missed_last = True
            if phase.scheduled and rng.random() < phase.cancel_share:
                reason = phase.cancel_reason or rng.choice(REASONS)
                self._cancel(sid, at, reason)
            return at
        if phase.scheduled and rng.random() < MOVED:
            sid, at = self._move(sid, at)
        present = self._roll_call(phase, at, sid)
        self.s.missed_last = not present
        if present:
            self._settle(at + 76 * MIN)
            self._commit(k, phase, present, at, sid)
        return at

    def _schedule(self, sid: str, at: datetime) -> None:
        announced = max(self.spec.formed_at + H, at - timedelta(days=self.rng.randint(3, 7)))
        self.fact(announced, "session_scheduled", f"sched:{sid}", session=sid, scheduled_for=at)

    def _cancel(self, sid: str, at: datetime, reason: str) -> datetime:
        notice = at - timedelta(hours=self.rng.randint(2, 48))
        self.fact(notice, "session_cancelled", f"cancel:{sid}", session=sid, reason=reason)
        return notice

    def _move(self, sid: str, at: datetime) -> tuple[str, datetime]:
        """Cancel ``sid`` with a new date: a new session a day or three later (if in time)."""
        new_at = at + timedelta(days=self.rng.randint(1, 3))
        if new_at > self.spec.end or lifecycle.in_holiday(self.spec, new_at):
            return sid, at
        notice = self._cancel(sid, at, f"moved to {new_at:%A %d %B}")
        moved = f"{sid}-moved"
        self.fact(notice + MIN, "session_scheduled", f"sched:{moved}", session=moved,
                  scheduled_for=new_at)  # fmt: skip
        return moved, new_at

    def _roll_call(self, phase: Phase, at: datetime, sid: str) -> list[str]:
        rng, roster = self.rng, self.s.roster
        taking_part = roster[: phase.members] if phase.members else list(roster)
        if phase.host_absent:
            taking_part = taking_part[1:]
        present = [m for m in taking_part if rng.random() < phase.attend]
        if not present:
            return []
        absent = [m for m in roster if m not in present]
        excused = [m for m in absent if m in taking_part and rng.random() < 0.3]
        absent = [m for m in absent if m not in excused]
        self.s.held.append(at)
        held_at = at + 75 * MIN
        if rng.random() < 0.04:
            self.fact(held_at, "session_held", f"held:{sid}", session=sid, attendance_taken=False)
            return present
        listed = list(present)
        if len(present) > 1 and rng.random() < 0.12:
            late = listed.pop(rng.randrange(len(listed)))
            when = held_at + timedelta(hours=rng.randint(2, 60))
            self.s.late_marks[late] = when
            self.fact(when, "attendance_marked", f"mark:{sid}:{late}", session=sid,
                      member=late, status="present")  # fmt: skip
        self.fact(held_at, "session_held", f"held:{sid}", session=sid, present=listed,
                  absent=absent, excused=excused)  # fmt: skip
        return present

    def _settle(self, at: datetime) -> None:
        for cid, member, keep in self.s.open_commitments:
            if member in self.s.left:
                continue
            kind = "commitment_kept" if self.rng.random() < keep else "commitment_missed"
            self.fact(at, kind, f"settled:{cid}", commitment=cid, member=member)
        self.s.open_commitments.clear()

    def _commit(self, k: int, phase: Phase, present: list[str], at: datetime, sid: str) -> None:
        if not self.spec.records_commitments:
            return
        for j, member in enumerate(present):
            if self.rng.random() < phase.commit:
                cid = f"{self.spec.group}-c{k}-{j}"
                self.s.open_commitments.append((cid, member, phase.keep))
                self.fact(at + 78 * MIN, "commitment_made", f"made:{cid}", commitment=cid,
                          member=member, session=sid, due=at + self.spec.period)  # fmt: skip
