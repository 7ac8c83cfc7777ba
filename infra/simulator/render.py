"""Turns one group's fate (phases per period) into dated facts with realistic noise.

Noise: sessions rescheduled by a day or three, excused absences, roll calls with one
member's mark arriving late and alone, meetings where nobody took attendance, recurring
invites that outlive a dead group, commitments never settled when a group stops.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random
from typing import Any

from infra.simulator.plan import DORMANT_AFTER_PERIODS, PERIODS, Fact, GroupTruth, Phase, Shape

H = timedelta(hours=1)
HEALTHY, MAKE_UP = 0.9, 0.98
"""A healthy group (meeting chance >= HEALTHY) that skipped a session makes the next one."""


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

    @property
    def period(self) -> timedelta:
        """One cadence period."""
        return PERIODS[self.cadence]

    def session_time(self, k: int) -> datetime:
        """Nominal time of the session of period ``k``."""
        return self.first_session + k * self.period


@dataclass
class _State:
    facts: list[Fact] = field(default_factory=list)
    left: set[str] = field(default_factory=set)
    open_commitments: list[tuple[str, str, float]] = field(default_factory=list)
    held: list[datetime] = field(default_factory=list)
    missed_last: bool = False


class Renderer:
    """Renders one group; ``rng`` is the group's own random stream."""

    def __init__(self, spec: GroupSpec, shape: Shape, rng: Random) -> None:
        self.spec, self.shape, self.rng, self.s = spec, shape, rng, _State()

    def fact(self, at: datetime, kind: str, key: str, **data: Any) -> None:
        """Record one fact about this group."""
        if at <= self.spec.end:
            self.s.facts.append(Fact(at, kind, self.spec.group, data, f"{self.spec.group}:{key}"))

    def render(self) -> tuple[list[Fact], GroupTruth]:
        """All facts of the group, and the truth about it."""
        sp = self.spec
        self.fact(sp.formed_at, "group_formed", "formed", name=f"Circle {sp.group}",
                  cadence=sp.cadence, goal="grow together", coordinator="coord-1")  # fmt: skip
        for j, member in enumerate(sp.roster):
            role = "facilitator" if j == 0 else "peer"
            self.fact(sp.formed_at + (j + 1) * timedelta(minutes=7), "member_joined",
                      f"joined:{member}", member=member, role=role)  # fmt: skip
        pauses = self._pause()
        for k, phase in enumerate(self.shape.phases):
            if not phase.paused:
                self._period(k, phase)
        return sorted(self.s.facts, key=lambda f: f.at), self._truth(pauses)

    def _period(self, k: int, phase: Phase) -> None:
        rng, sp = self.rng, self.spec
        shift = rng.choice([0] * 8 + [-2, -1, 1, 3])
        if self.shape.pause and k == self.shape.pause[1]:
            shift = abs(shift)
        if self.shape.pause and k == self.shape.pause[0] - 1:
            shift = -abs(shift)
        at = sp.session_time(k) + shift * 24 * H
        at += timedelta(minutes=rng.randint(-30, 30))
        if at > sp.end:
            return
        self._session(k, phase, at, f"{sp.group}-s{k}")
        self._leave(k, phase, at + 80 * timedelta(minutes=1))

    def _session(self, k: int, phase: Phase, at: datetime, sid: str) -> None:
        rng, sp = self.rng, self.spec
        if phase.scheduled:
            announced = max(sp.formed_at + H, at - timedelta(days=rng.randint(3, 7)))
            self.fact(announced, "session_scheduled", f"sched:{sid}", session=sid, scheduled_for=at)
        meets = MAKE_UP if self.s.missed_last and phase.meets >= HEALTHY else phase.meets
        present = self._roll_call(k, phase, at, sid) if rng.random() < meets else []
        self.s.missed_last = not present
        if not present:
            if phase.scheduled and rng.random() < phase.cancel_share:
                reason = rng.choice(["clash with deadlines", "facilitator ill", "low availability"])
                notice = at - timedelta(hours=rng.randint(2, 48))
                self.fact(notice, "session_cancelled", f"cancel:{sid}", session=sid, reason=reason)
            return
        self._settle(at + 76 * timedelta(minutes=1))
        for j, member in enumerate(present):
            if rng.random() < phase.commit:
                cid = f"{sp.group}-c{k}-{j}"
                self.s.open_commitments.append((cid, member, phase.keep))
                made = at + 78 * timedelta(minutes=1)
                self.fact(made, "commitment_made", f"made:{cid}", commitment=cid,
                          member=member, session=sid, due=at + sp.period)  # fmt: skip

    def _roll_call(self, k: int, phase: Phase, at: datetime, sid: str) -> list[str]:
        rng = self.rng
        roster = [m for m in self.spec.roster if m not in self.s.left]
        taking_part = roster[: phase.members] if phase.members else roster
        present = [m for m in taking_part if rng.random() < phase.attend]
        if not present:
            return []
        absent = [m for m in roster if m not in present]
        excused = [m for m in absent if m in taking_part and rng.random() < 0.3]
        absent = [m for m in absent if m not in excused]
        self.s.held.append(at)
        held_at = at + 75 * timedelta(minutes=1)
        if rng.random() < 0.04:
            self.fact(held_at, "session_held", f"held:{sid}", session=sid, attendance_taken=False)
            return present
        listed = list(present)
        if len(present) > 1 and rng.random() < 0.12:
            late = listed.pop(rng.randrange(len(listed)))
            when = held_at + timedelta(hours=rng.randint(2, 60))
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

    def _leave(self, k: int, phase: Phase, at: datetime) -> None:
        for _ in range(self.shape.leavers.get(k, 0)):
            stayers = [m for m in self.spec.roster if m not in self.s.left]
            idle = stayers[phase.members :] if phase.members else []
            member = idle[0] if idle else stayers[0]
            self.s.left.add(member)
            self.fact(at, "member_left", f"left:{member}", member=member)

    def _pause(self) -> list[tuple[datetime, datetime]]:
        if not self.shape.pause:
            return []
        first, back = self.shape.pause
        sp, rng = self.spec, self.rng
        start = sp.session_time(first - 1) + timedelta(days=1, hours=rng.randint(0, 48))
        until = sp.session_time(back) - 12 * H
        self.fact(start, "group_paused", "paused", until=until,
                  reason=rng.choice(["exam period", "holidays", "term break"]))  # fmt: skip
        if self.shape.explicit_resume:
            self.fact(until, "group_resumed", "resumed")
        return [(start, until)]

    def _truth(self, pauses: list[tuple[datetime, datetime]]) -> GroupTruth:
        sp, phases = self.spec, self.shape.phases
        gone = [k for k, p in enumerate(phases) if p.meets == 0 and not p.paused]
        dies = self.shape.dies and bool(gone)
        last = max(self.s.held) if self.s.held else None
        dormant = (last or sp.formed_at) + DORMANT_AFTER_PERIODS * sp.period if dies else None
        return GroupTruth(
            group=sp.group, fate=sp.fate, cadence=sp.cadence, period_days=sp.period.days,
            formed_at=sp.formed_at, members=len(sp.roster), dies=dies,
            censored=self.shape.dies and not gone, last_session_at=last, dormant_at=dormant,
            pauses=pauses, sessions_held=len(self.s.held), decline_at=self._decline_at(),
        )  # fmt: skip

    def _decline_at(self) -> datetime | None:
        k = self.shape.decline
        if k is None:
            return None
        return self.spec.formed_at if k == 0 else min(self.spec.session_time(k), self.spec.end)
