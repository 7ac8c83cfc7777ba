"""The world after the coordinators looked: who they reached, and what the groups did next.

The demo (``peerpulse demo``) simulates a program up to now but shows peerpulse only the
history up to a *cut* some weeks earlier (:func:`split`). At the cut the coordinators look
at the groups peerpulse flags ``at_risk`` and reach out to a seeded share of them
(:func:`outreach`). From then on a flagged group's own simulated future is replaced by
:func:`continuation`: a reached group meets again in each cadence period with chance
:data:`MEETS_REACHED`, one nobody reached with :data:`MEETS_OTHERS`. Every other group keeps
the future the simulator rendered for it (its fate plays on unchanged).

These numbers are the simulation's **assumption** about what outreach does, not a finding:
the demo shows the loop working, it does not measure whether outreach helps. Pure and
deterministic: the seed is the only randomness.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import Any

from infra.simulator.contract import to_message
from infra.simulator.plan import Fact
from infra.simulator.program import Simulation

Message = dict[str, Any]
MEETS_REACHED = 0.6
"""Chance a flagged group someone reached out to holds its session in a cadence period."""
MEETS_OTHERS = 0.25
"""The same chance for a flagged group nobody reached out to."""
ATTEND = 0.85
"""Chance each current member is present at a session the group holds."""
OUTREACH_SHARE = 2 / 3
"""Share of the flagged groups the coordinators reach out to (rounded up)."""
ACTS_WITHIN = (timedelta(hours=1), timedelta(hours=36))
"""A coordinator acts this long after the cut (when they looked at the flags)."""
MEETS_AFTER = timedelta(hours=12)
"""A flagged group's first session comes at least this long after the outreach (or cut)."""
KINDS = ("call", "message", "meeting")
NOTES = {
    "call": "Called the facilitator: agreed to meet again next week.",
    "message": "Messaged the group offering a new time slot.",
    "meeting": "Met the facilitator to plan the next session.",
}


@dataclass(frozen=True)
class Outreach:
    """One coordinator's action on one flagged group (sent as ``intervention.logged``)."""

    group: str
    coordinator: str
    kind: str
    at: datetime
    note: str


def _time(message: Message) -> datetime:
    return datetime.fromisoformat(message["time"])


def split(sim: Simulation, cut: datetime) -> tuple[list[Message], list[Message]]:
    """The simulation's messages up to ``cut`` (event time) and after it, arrival order kept."""
    history = [m for m in sim.messages if _time(m) <= cut]
    return history, [m for m in sim.messages if _time(m) > cut]


def outreach(
    sim: Simulation, flagged: Iterable[str], cut: datetime, seed: int,
    share: float = OUTREACH_SHARE,
) -> list[Outreach]:  # fmt: skip
    """The coordinators' actions: ``share`` (rounded up) of the ``flagged`` groups (external
    ids), drawn with ``seed``, each by the group's own coordinator, soon after ``cut``."""
    coordinator = {t.group: t.coordinator for t in sim.truth}
    groups = sorted(set(flagged))
    rng = Random(f"{seed}:outreach")
    rng.shuffle(groups)
    chosen = sorted(groups[: math.ceil(share * len(groups))])
    low, high = (int(d.total_seconds()) for d in ACTS_WITHIN)
    acts = []
    for group in chosen:
        kind = rng.choice(KINDS)
        at = cut + timedelta(seconds=rng.randint(low, high))
        acts.append(Outreach(group, coordinator[group], kind, at, NOTES[kind]))
    return acts


def continuation(
    sim: Simulation, flagged: Iterable[str], acts: Iterable[Outreach], cut: datetime,
    until: datetime, seed: int,
) -> list[Message]:  # fmt: skip
    """Held sessions with roll calls for each ``flagged`` group from ``cut`` to ``until``, in
    event-time order: :data:`MEETS_REACHED` per period for a group in ``acts``, else
    :data:`MEETS_OTHERS`."""
    reached = {a.group: a.at for a in acts}
    truth = {t.group: t for t in sim.truth}
    rosters = _rosters(sim.messages, cut)
    facts: list[Fact] = []
    for group in sorted(set(flagged)):
        rng = Random(f"{seed}:continuation:{group}")
        meets = MEETS_REACHED if group in reached else MEETS_OTHERS
        roster = rosters.get(group, [])
        period = timedelta(days=truth[group].period_days)
        at = reached.get(group, cut) + MEETS_AFTER + timedelta(hours=rng.randint(0, 48))
        k = 0
        while roster and at + timedelta(minutes=75) <= until:
            if rng.random() < meets:
                facts.append(_held(rng, group, roster, at, k))
            at, k = at + period, k + 1
    facts.sort(key=lambda f: f.at)
    return [to_message(f, sim.program, sim.source) for f in facts]


def _held(rng: Random, group: str, roster: list[str], at: datetime, k: int) -> Fact:
    present = [m for m in roster if rng.random() < ATTEND] or roster[:1]
    absent = [m for m in roster if m not in present]
    sid = f"{group}-after-s{k}"
    return Fact(at + timedelta(minutes=75), "session_held", group,
                {"session": sid, "present": present, "absent": absent, "excused": []},
                f"{group}:held:{sid}")  # fmt: skip


def _rosters(messages: list[Message], cut: datetime) -> dict[str, list[str]]:
    """Each group's members at ``cut``: joined and not left, in joining order."""
    rosters: dict[str, list[str]] = {}
    for m in sorted((m for m in messages if _time(m) <= cut), key=_time):
        group, member = m.get("subject"), m["data"].get("member")
        if not group or not member:
            continue
        roster = rosters.setdefault(group, [])
        if m["type"] == "peerpulse.ingest.member.joined.v1" and member not in roster:
            roster.append(member)
        elif m["type"] == "peerpulse.ingest.member.left.v1" and member in roster:
            roster.remove(member)
    return rosters
