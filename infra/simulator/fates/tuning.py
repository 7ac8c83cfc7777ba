"""The tuning fate families: one :class:`Phase` per cadence period, from the group's base.

Definitions and the reasoning behind them: docs/decisions/0011-simulator-fates.md.
Every fate starts from the group's own healthy ``base`` (groups differ even when fine)
and spans are measured in periods, shrunk for short windows (a monthly group sees only
a handful of sessions in a term). Dying fates stop early enough, where the window
allows, for their dormancy to fall inside it. ``rng`` is the only source of randomness.
"""

from __future__ import annotations

import math
from dataclasses import replace
from random import Random

from infra.simulator.plan import DORMANT_AFTER_PERIODS, Phase, Shape

GONE = Phase(meets=0.0, attend=0.0, commit=0.0, keep=0.0, scheduled=False)
GHOST = replace(GONE, scheduled=True, cancel_share=0.1)
"""A dead group's recurring calendar invite: still scheduled, almost never cancelled."""
ROOM = DORMANT_AFTER_PERIODS + 1
"""Periods a dying fate leaves after its stop, where it can, so dormancy is observed."""


def lerp(a: float, b: float, frac: float) -> float:
    """``a`` moved towards ``b`` by ``frac`` (clamped to 0..1)."""
    return a + (b - a) * min(1.0, max(0.0, frac))


def span(rng: Random, lo: int, hi: int, n: int) -> int:
    """A length in periods from ``lo..hi`` as meant for 16 periods, scaled to ``n``."""
    top = max(1, min(hi, round(hi * n / 16)))
    return rng.randint(max(1, min(lo, top)), top)


def after_death(n: int, k: int, ghosts: int, ghost: Phase = GHOST) -> list[Phase]:
    """Phases from period ``k`` on: ``ghosts`` lingering invites, then nothing."""
    return [ghost if i < ghosts else GONE for i in range(max(0, n - k))]


def start_before(rng: Random, lo: int, n: int, length: int) -> int:
    """A first period ``>= lo`` that leaves ``length`` periods and then :data:`ROOM`."""
    return rng.randint(lo, max(lo, n - length - ROOM))


def steady(rng: Random, n: int, base: Phase) -> Shape:
    """Meets at its cadence with ordinary noise for the whole window."""
    return Shape([base] * n)


def slow_fade(rng: Random, n: int, base: Phase) -> Shape:
    """Attendance, meeting rate and commitments decline together over several periods."""
    length = span(rng, 3, 6, n)
    k0 = start_before(rng, 1, n, length)
    phases = [base] * k0
    for i in range(length):
        f = (i + 1) / length
        phases.append(replace(base, attend=lerp(base.attend, 0.3, f),
                              meets=lerp(base.meets, 0.5, f), commit=lerp(base.commit, 0.2, f),
                              keep=lerp(base.keep, 0.35, f)))  # fmt: skip
    phases += after_death(n, len(phases), rng.randint(1, 3))
    return Shape(phases[:n], dies=True, decline=k0)


def sudden_stop(rng: Random, n: int, base: Phase) -> Shape:
    """Healthy until one day it simply stops (facilitator left, job change, lost room)."""
    stop = start_before(rng, 2, n, 0)
    leavers = {stop - 1: 1} if rng.random() < 0.3 else {}
    phases = [base] * stop + after_death(n, stop, rng.randint(0, 2))
    return Shape(phases[:n], dies=True, leavers=leavers, decline=stop)


def core_shrinking(rng: Random, n: int, base: Phase, roster: int) -> Shape:
    """Members drop away one by one until fewer than three take part, then it stops."""
    k0 = rng.randint(1, max(1, n // 3))
    phases, leavers, taking_part = [base] * k0, {}, roster
    while taking_part > 2:
        taking_part -= 1
        if rng.random() < 0.4:
            leavers[len(phases)] = leavers.get(len(phases), 0) + 1
        for _ in range(span(rng, 1, 2, n)):
            phases.append(replace(base, members=taking_part))
    for i in range(span(rng, 1, 3, n)):
        meets = 1.0 if i == 0 else 0.7
        phases.append(replace(base, members=2, meets=meets, commit=base.commit * 0.6))
    phases += after_death(n, len(phases), rng.randint(1, 2))
    return Shape(phases[:n], dies=True, leavers=leavers, decline=k0)


def commitments_drying(rng: Random, n: int, base: Phase) -> Shape:
    """Nobody commits to anything any more; attendance holds a while, then goes too."""
    dry, fall = span(rng, 3, 5, n), span(rng, 2, 3, n)
    k0 = start_before(rng, 1, n, dry + fall)
    phases = [base] * k0
    for i in range(dry):
        f = (i + 1) / dry
        phases.append(replace(base, commit=lerp(base.commit, 0.0, f),
                              keep=lerp(base.keep, 0.2, f)))  # fmt: skip
    for i in range(fall):
        f = (i + 1) / fall
        phases.append(replace(base, commit=0.0, attend=lerp(base.attend, 0.4, f),
                              meets=lerp(base.meets, 0.6, f)))  # fmt: skip
    phases += after_death(n, len(phases), rng.randint(1, 3))
    return Shape(phases[:n], dies=True, decline=k0)


def planned_pause(rng: Random, n: int, base: Phase, period_days: int) -> Shape:
    """Announces a break of two to four weeks (exams, holidays), then meets again."""
    length = max(1, math.ceil(rng.randint(2, 4) * 7 / period_days))
    start = rng.randint(2, max(2, n - length - 2))
    paused = replace(GONE, paused=True)
    phases = [base] * start + [paused] * length + [base] * n
    return Shape(phases[:n], pause=(start, start + length), explicit_resume=rng.random() < 0.7)


def dip_and_recovery(rng: Random, n: int, base: Phase) -> Shape:
    """A rough patch (missed sessions, thin attendance) that the group comes back from."""
    length = span(rng, 2, 3, n)
    start = rng.randint(2, max(2, n - length - 3))
    dip = replace(base, meets=0.45, attend=0.55, commit=0.45, keep=0.5, cancel_share=0.6)
    return Shape(([base] * start + [dip] * length + [base] * n)[:n], decline=start)


def never_got_going(rng: Random, n: int, base: Phase) -> Shape:
    """Formed, met once or twice with half the roster (or never), and fizzled out."""
    held = rng.choice((0, 1, 1, 2, 2))
    weak = replace(base, meets=1.0, attend=0.5, commit=0.35, keep=0.4)
    phases = [weak] * held + after_death(n, held, rng.randint(1, 2))
    return Shape(phases[:n], dies=True, decline=0)
