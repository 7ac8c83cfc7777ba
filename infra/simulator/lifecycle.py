"""A group's life around its sessions: forming, roster changes, breaks, and its truth.

Separate from :mod:`infra.simulator.render` (the sessions themselves) so each stays
short. Every function takes the group's :class:`~infra.simulator.render.Renderer`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from infra.simulator.plan import DORMANT_AFTER_PERIODS, GroupTruth, Phase

if TYPE_CHECKING:
    from infra.simulator.render import GroupSpec, Renderer

H = timedelta(hours=1)
ROSTER_LEAD = (1, 36)
"""Hours by which a roster published first precedes its ``group.formed``."""
HOLIDAY_NOTICE = 12 * H
"""A group announcing the holiday pauses this long before it starts; no session inside."""
MOVES_AFTER_HOLIDAY = timedelta(days=14)
"""Groups meeting this often or less make up a session the holiday took (weekly ones skip)."""


def opening(r: Renderer) -> None:
    """``group.formed`` and the roster; a roster published first comes hours earlier."""
    sp = r.spec
    r.fact(sp.formed_at, "group_formed", "formed", name=f"Circle {sp.group}",
           cadence=sp.cadence, goal="grow together", coordinator=sp.coordinator)  # fmt: skip
    lead = timedelta(hours=r.rng.randint(*ROSTER_LEAD)) if sp.roster_first else -H / 2
    for j, member in enumerate(sp.roster):
        role = "facilitator" if j == 0 else "peer"
        r.fact(sp.formed_at - lead + j * timedelta(minutes=7), "member_joined",
               f"joined:{member}", member=member, role=role)  # fmt: skip


def leave(r: Renderer, k: int, phase: Phase, at: datetime) -> None:
    """Members who leave at period ``k``'s session: the fate's leavers and the replaced."""
    for _ in range(r.shape.leavers.get(k, 0)):
        idle = r.s.roster[phase.members :] if phase.members else []
        _leaves(r, idle[0] if idle else r.s.roster[0], at)
    for _ in range(r.spec.replacements.get(k, 0) if phase.meets > 0 else 0):
        if len(r.s.roster) < 2:
            return
        _leaves(r, r.rng.choice(r.s.roster[1:]), at)
        newcomer = f"{r.spec.group}-m{len(r.spec.roster) + r.s.replaced}"
        r.s.replaced += 1
        r.s.roster.append(newcomer)
        joined = at + timedelta(hours=r.rng.randint(2, 24))
        r.fact(joined, "member_joined", f"joined:{newcomer}", member=newcomer, role="peer")


def _leaves(r: Renderer, member: str, at: datetime) -> None:
    """``member`` leaves at ``at`` (or just after their late mark for the last session)."""
    at = max(at, r.s.late_marks.get(member, at) + timedelta(minutes=1))
    r.s.left.add(member)
    r.s.roster.remove(member)
    r.fact(at, "member_left", f"left:{member}", member=member)


def in_holiday(sp: GroupSpec, at: datetime) -> bool:
    """No group meets during the program's holiday (nor just before announcing it)."""
    if sp.holiday is None:
        return False
    notice = HOLIDAY_NOTICE if sp.announces_holiday else timedelta(0)
    return sp.holiday[0] - notice <= at < sp.holiday[1]


def after_holiday(r: Renderer, at: datetime) -> datetime | None:
    """A session the holiday falls on: skipped by a weekly group; a group that meets at
    most as often as the holiday lasts (monthly; fortnightly over a one- or two-week
    break) holds one session in the first days after it instead."""
    sp = r.spec
    assert sp.holiday is not None
    start, end = sp.holiday
    if sp.period < max(end - start, MOVES_AFTER_HOLIDAY) or r.s.met_after_holiday:
        return None
    moved = end + timedelta(days=r.rng.randint(0, 2), hours=at.hour, minutes=at.minute)
    if any(a <= moved <= b for a, b in r.s.pauses):
        return None
    r.s.met_after_holiday = True
    return moved


def breaks(r: Renderer) -> list[tuple[datetime, datetime]]:
    """Announce the fate's planned pause and (for some groups) the holiday; the pauses."""
    pauses = r.s.pauses = _fate_pause(r)
    sp = r.spec
    if sp.holiday and sp.announces_holiday and _alive_in_holiday(r) and not pauses:
        start, until = sp.holiday[0] - HOLIDAY_NOTICE, sp.holiday[1]
        r.fact(start, "group_paused", "paused:holiday", until=until, reason="program holiday")
        if r.rng.random() < 0.7:
            r.fact(until, "group_resumed", "resumed:holiday")
        pauses.append((start, until))
    return pauses


def _alive_in_holiday(r: Renderer) -> bool:
    """Still meeting when the holiday comes (a dead group announces nothing)."""
    sp = r.spec
    assert sp.holiday is not None
    before = [p for k, p in enumerate(r.shape.phases) if sp.session_time(k) < sp.holiday[1]]
    return bool(before) and before[-1].meets > 0 and not before[-1].paused


def _fate_pause(r: Renderer) -> list[tuple[datetime, datetime]]:
    if not r.shape.pause:
        return []
    first, back = r.shape.pause
    sp, rng = r.spec, r.rng
    start = sp.session_time(first - 1) + timedelta(days=1, hours=rng.randint(0, 48))
    until = sp.session_time(back) - 12 * H
    r.fact(start, "group_paused", "paused", until=until,
           reason=rng.choice(["exam period", "holidays", "term break"]))  # fmt: skip
    if r.shape.explicit_resume:
        r.fact(until, "group_resumed", "resumed")
    return [(start, until)]


def truth(r: Renderer, pauses: list[tuple[datetime, datetime]]) -> GroupTruth:
    """What happened to the group; dormancy = last held session + 3 periods."""
    sp, phases = r.spec, r.shape.phases
    stopped = r.shape.dies and any(p.meets == 0 and not p.paused for p in phases)
    last = max(r.s.held) if r.s.held else None
    dormant = (last or sp.formed_at) + DORMANT_AFTER_PERIODS * sp.period if stopped else None
    censored = r.shape.dies and (dormant is None or dormant > sp.end)
    return GroupTruth(
        group=sp.group, fate=sp.fate, cadence=sp.cadence, period_days=sp.period.days,
        formed_at=sp.formed_at, members=len(sp.roster), dies=stopped, censored=censored,
        last_session_at=last, dormant_at=dormant, pauses=pauses,
        sessions_held=len(r.s.held), decline_at=_decline_at(r), coordinator=sp.coordinator,
        roster_first=sp.roster_first, records_commitments=sp.records_commitments,
        replaced=r.s.replaced,
    )  # fmt: skip


def _decline_at(r: Renderer) -> datetime | None:
    k, sp = r.shape.decline, r.spec
    if k is None:
        return None
    return sp.formed_at if k == 0 else min(sp.session_time(k), sp.end)
