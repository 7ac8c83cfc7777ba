"""The fate families a simulated group can meet, their shares, and the held-out family.

Tuning families live in :mod:`~infra.simulator.fates.tuning`; the one dying family kept
out of tuning entirely (:data:`HELDOUT_FAMILY`) in :mod:`~infra.simulator.fates.heldout`.
Definitions: docs/decisions/0011-simulator-fates.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from random import Random

from infra.simulator.fates import tuning as t
from infra.simulator.fates.heldout import host_leaves
from infra.simulator.plan import Phase, Shape

FateFn = Callable[..., Shape]
FATES: dict[str, tuple[float, FateFn]] = {
    "steady": (0.28, t.steady),
    "planned_pause": (0.12, t.planned_pause),
    "dip_and_recovery": (0.10, t.dip_and_recovery),
    "slow_fade": (0.12, t.slow_fade),
    "sudden_stop": (0.08, t.sudden_stop),
    "core_shrinking": (0.10, t.core_shrinking),
    "commitments_drying": (0.10, t.commitments_drying),
    "never_got_going": (0.10, t.never_got_going),
    "host_leaves": (0.10, host_leaves),
}
"""Fate -> (weight among a program's groups, shape function); weights are renormalised
over the families a simulation uses."""

HELDOUT_FAMILY = "host_leaves"
"""The dying family never simulated for tuning (``simulate(..., exclude=(HELDOUT_FAMILY,))``)."""
TUNING_FAMILIES: tuple[str, ...] = tuple(f for f in FATES if f != HELDOUT_FAMILY)
DYING: frozenset[str] = frozenset(
    {"slow_fade", "sudden_stop", "core_shrinking", "commitments_drying", "never_got_going",
     HELDOUT_FAMILY}
)  # fmt: skip
"""The families that end in dormancy (the rest are non-dying: steady, paused, dipping)."""


def families_without(exclude: Iterable[str]) -> tuple[str, ...]:
    """Every family except ``exclude`` (unknown names are an error, not a silent no-op)."""
    excluded = set(exclude)
    if unknown := excluded - set(FATES):
        raise ValueError(f"unknown fate families: {sorted(unknown)}")
    kept = tuple(f for f in FATES if f not in excluded)
    if not kept:
        raise ValueError("every fate family is excluded")
    return kept


def allot(rng: Random, groups: int, families: Iterable[str] = tuple(FATES)) -> list[str]:
    """Fates for ``groups`` groups: shares by largest remainder, in a shuffled order."""
    weights = {name: FATES[name][0] for name in families}
    total = sum(weights.values())
    exact = {name: w / total * groups for name, w in weights.items()}
    counts = {name: int(v) for name, v in exact.items()}
    by_remainder = sorted(exact, key=lambda k: (exact[k] - counts[k], k), reverse=True)
    for name in by_remainder[: groups - sum(counts.values())]:
        counts[name] += 1
    fates = [name for name, c in counts.items() for _ in range(c)]
    rng.shuffle(fates)
    return fates


def shape_for(fate: str, rng: Random, n: int, base: Phase, roster: int, period_days: int) -> Shape:
    """Call ``fate``'s shape function with the arguments it needs."""
    fn = FATES[fate][1]
    if fn is t.core_shrinking:
        return fn(rng, n, base, roster)
    if fn is t.planned_pause:
        return fn(rng, n, base, period_days)
    return fn(rng, n, base)
