"""A whole simulated program: fates allotted, groups rendered, messages delivered, truth kept.

:func:`simulate` is pure: the seed is the only randomness and ``end`` the only time.
Each group draws from its own stream (``Random(f"{seed}:group:{i}")``), so changing one
group's fate code never reshuffles the others. The program has one holiday (a break of
one to three weeks no group meets in) and a coordinator for every 15 groups.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random
from typing import Any

from infra.simulator.contract import to_message
from infra.simulator.delivery import deliver
from infra.simulator.fates import allot, families_without, shape_for
from infra.simulator.plan import PERIODS, Fact, GroupTruth, Phase
from infra.simulator.render import GroupSpec, Renderer

CADENCES = (("weekly", 0.6), ("fortnightly", 0.3), ("monthly", 0.1))
GROUPS_PER_COORDINATOR = 15
ROSTER_FIRST, NO_COMMITMENTS, REPLACES = 0.3, 0.12, 0.25
"""Shares of groups: roster published before formed; never recording commitments; one
member replaced (leave + join)."""
ANNOUNCES = {1: 0.3, 2: 0.6, 3: 0.85}
"""Holiday length in weeks -> share of groups announcing it as a pause (a long break is
usually announced; a one-week one often just happens)."""
KEEP_ROSTER = frozenset({"core_shrinking", "host_leaves"})
"""Families whose own leavers are their story: no replacement muddles it."""


@dataclass
class Simulation:
    """The output: ingest messages in arrival order, and the truth about every group."""

    seed: int
    source: str
    program: str
    start: datetime
    end: datetime
    messages: list[dict[str, Any]]
    truth: list[GroupTruth]
    holiday: tuple[datetime, datetime] | None = None
    """The program-wide break ``[start, end)`` (None when the window is too short)."""
    families: tuple[str, ...] = field(default_factory=tuple)
    """The fate families this program could draw from."""

    def truth_json(self) -> dict[str, Any]:
        """The ground-truth document written by ``--truth``."""
        holiday = [t.isoformat() for t in self.holiday] if self.holiday else None
        return {
            "seed": self.seed,
            "source": self.source,
            "program": self.program,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "holiday": holiday,
            "families": list(self.families),
            "groups": [t.to_json() for t in self.truth],
        }


def simulate(
    seed: int, end: datetime, groups: int = 60, weeks: int = 16, source: str = "sim.peerpulse",
    exclude: Iterable[str] = (), with_holiday: bool = True,
) -> Simulation:  # fmt: skip
    """Simulate ``groups`` groups over the ``weeks`` weeks that end at ``end`` (aware),
    drawing fates from every family but ``exclude`` (tuning: ``(HELDOUT_FAMILY,)``);
    ``with_holiday=False`` leaves out the program-wide break (to measure its effect)."""
    if end.tzinfo is None:
        raise ValueError("end must be timezone-aware")
    if groups < 1 or weeks < 1:
        raise ValueError("groups and weeks must be at least 1")
    families = families_without(exclude)
    start = end - timedelta(weeks=weeks)
    program = f"program-{seed}"
    coordinators = [f"coord-{c + 1}" for c in range(math.ceil(groups / GROUPS_PER_COORDINATOR))]
    holiday = _holiday(Random(f"{seed}:holiday"), start, weeks) if with_holiday else None
    announcing = ANNOUNCES[round((holiday[1] - holiday[0]).days / 7)] if holiday else 0.0
    facts = _program_facts(program, start, coordinators)
    truths: list[GroupTruth] = []
    for i, fate in enumerate(allot(Random(f"{seed}:fates"), groups, families)):
        spec = _spec(Random(f"{seed}:spec:{i}"), f"p{seed}-g{i:03d}", fate, start, end)
        spec.coordinator, spec.holiday = coordinators[i % len(coordinators)], holiday
        spec.announces_holiday = Random(f"{seed}:announce:{i}").random() < announcing
        group_facts, truth = _render(Random(f"{seed}:group:{i}"), spec)
        facts += group_facts
        truths.append(truth)
    facts.sort(key=lambda f: f.at)
    messages = deliver(Random(f"{seed}:delivery"), [to_message(f, program, source) for f in facts])
    return Simulation(seed, source, program, start, end, messages, truths, holiday, families)


def _holiday(rng: Random, start: datetime, weeks: int) -> tuple[datetime, datetime] | None:
    """One to three weeks, starting a Monday between week 4 and four weeks before the end."""
    length = rng.choice((1, 1, 2, 2, 3))
    if weeks < length + 8:
        return None
    monday = start + timedelta(weeks=rng.randint(4, weeks - length - 4))
    monday = monday.replace(hour=0, minute=0, second=0, microsecond=0)
    return monday, monday + timedelta(weeks=length)


def _program_facts(program: str, start: datetime, coordinators: list[str]) -> list[Fact]:
    launched = start - timedelta(days=2)
    facts = [Fact(launched, "program_launched", "", {"name": "Simulated cohort",
                  "organisation": "peerpulse simulator", "cadence": "weekly"},
                  "program:launched")]  # fmt: skip
    for c, coordinator in enumerate(coordinators):
        facts.append(Fact(launched + timedelta(minutes=10 + c), "coordinator_assigned", "",
                          {"coordinator": coordinator, "name": f"Coordinator {c + 1}",
                           "contact": f"{coordinator}@example.org"},
                          f"program:{coordinator}"))  # fmt: skip
    return facts


def _spec(rng: Random, group: str, fate: str, start: datetime, end: datetime) -> GroupSpec:
    """Who the group is: cadence, roster, forming, first session, habits."""
    cadence = rng.choices([c for c, _ in CADENCES], [w for _, w in CADENCES])[0]
    roster = [f"{group}-m{j}" for j in range(rng.randint(3, 6))]
    formed = start + timedelta(minutes=rng.randint(0, 10 * 24 * 60))
    first = (formed + timedelta(days=rng.randint(3, 8))).replace(
        hour=rng.randint(8, 18), minute=0, second=0, microsecond=0
    )
    spec = GroupSpec(group, fate, cadence, formed, first, roster, end)
    spec.roster_first = rng.random() < ROSTER_FIRST
    spec.records_commitments = fate == "commitments_drying" or rng.random() >= NO_COMMITMENTS
    n = _periods(spec)
    if fate not in KEEP_ROSTER and n >= 4 and rng.random() < REPLACES:
        spec.replacements = {rng.randint(1, n - 2): 1}
    return spec


def _periods(spec: GroupSpec) -> int:
    """How many cadence periods of the group fall inside the window."""
    if spec.first_session > spec.end:
        return 0
    return math.floor((spec.end - spec.first_session) / PERIODS[spec.cadence]) + 1


def _render(rng: Random, spec: GroupSpec) -> tuple[list[Fact], GroupTruth]:
    base = Phase(meets=rng.uniform(0.9, 1.0), attend=rng.uniform(0.75, 0.95),
                 commit=rng.uniform(0.55, 0.9), keep=rng.uniform(0.55, 0.85))  # fmt: skip
    shape = shape_for(spec.fate, rng, _periods(spec), base, len(spec.roster), spec.period.days)
    return Renderer(spec, shape, rng).render()
