"""A whole simulated program: fates allotted, groups rendered, messages ordered, truth kept.

:func:`simulate` is pure: the seed is the only randomness and ``end`` the only time.
Each group draws from its own stream (``Random(f"{seed}:group:{i}")``), so changing one
group's fate code never reshuffles the others.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import Any

from infra.simulator.contract import to_message
from infra.simulator.fates import allot, shape_for
from infra.simulator.plan import PERIODS, Fact, GroupTruth, Phase
from infra.simulator.render import GroupSpec, Renderer

CADENCES = (("weekly", 0.6), ("fortnightly", 0.3), ("monthly", 0.1))
DUPLICATE_SHARE = 0.03
"""Share of messages a sender delivers twice (at-least-once retries)."""


@dataclass
class Simulation:
    """The output: ingest messages in event-time order, and the truth about every group."""

    seed: int
    source: str
    program: str
    start: datetime
    end: datetime
    messages: list[dict[str, Any]]
    truth: list[GroupTruth]

    def truth_json(self) -> dict[str, Any]:
        """The ground-truth document written by ``--truth``."""
        return {
            "seed": self.seed,
            "source": self.source,
            "program": self.program,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "groups": [t.to_json() for t in self.truth],
        }


def simulate(
    seed: int, end: datetime, groups: int = 60, weeks: int = 16, source: str = "sim.peerpulse"
) -> Simulation:
    """Simulate ``groups`` groups over the ``weeks`` weeks that end at ``end`` (aware)."""
    if end.tzinfo is None:
        raise ValueError("end must be timezone-aware")
    if groups < 1 or weeks < 1:
        raise ValueError("groups and weeks must be at least 1")
    start = end - timedelta(weeks=weeks)
    program = f"program-{seed}"
    facts = _program_facts(program, start)
    truths: list[GroupTruth] = []
    for i, fate in enumerate(allot(Random(f"{seed}:fates"), groups)):
        group_facts, truth = _group(
            Random(f"{seed}:group:{i}"), f"p{seed}-g{i:03d}", fate, start, end
        )
        facts += group_facts
        truths.append(truth)
    facts.sort(key=lambda f: f.at)
    messages = _with_duplicates(
        Random(f"{seed}:dup"), [to_message(f, program, source) for f in facts]
    )
    return Simulation(seed, source, program, start, end, messages, truths)


def _program_facts(program: str, start: datetime) -> list[Fact]:
    launched = start - timedelta(days=2)
    return [
        Fact(launched, "program_launched", "", {"name": "Simulated cohort",
             "organisation": "peerpulse simulator", "cadence": "weekly"}, "program:launched"),
        Fact(launched + timedelta(minutes=10), "coordinator_assigned", "",
             {"coordinator": "coord-1", "name": "Sam Coordinator",
              "contact": "coordinator@example.org"}, "program:coordinator"),
    ]  # fmt: skip


def _group(rng: Random, group: str, fate: str, start: datetime, end: datetime):
    cadence = rng.choices([c for c, _ in CADENCES], [w for _, w in CADENCES])[0]
    roster = [f"{group}-m{j}" for j in range(rng.randint(3, 6))]
    formed = start + timedelta(minutes=rng.randint(0, 10 * 24 * 60))
    first = (formed + timedelta(days=rng.randint(3, 8))).replace(
        hour=rng.randint(8, 18), minute=0, second=0, microsecond=0
    )
    period = PERIODS[cadence]
    n = max(0, math.floor((end - first) / period) + 1) if first <= end else 0
    base = Phase(meets=rng.uniform(0.9, 1.0), attend=rng.uniform(0.75, 0.95),
                 commit=rng.uniform(0.55, 0.9), keep=rng.uniform(0.55, 0.85))  # fmt: skip
    shape = shape_for(fate, rng, n, base, len(roster), period.days)
    spec = GroupSpec(group, fate, cadence, formed, first, roster, end)
    return Renderer(spec, shape, rng).render()


def _with_duplicates(rng: Random, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for message in messages:
        out.append(message)
        if rng.random() < DUPLICATE_SHARE:
            out.append(dict(message))
    return out
