"""The tuning / held-out split (issue 13): tune on some seeds, report on others.

A model is tuned on :data:`TUNING_SEEDS` with the held-out family left out of the world
entirely (:func:`simulate_tuning`); it is reported on :data:`HELDOUT_SEEDS`, which see
every family including :data:`~infra.simulator.fates.HELDOUT_FAMILY`
(:func:`simulate_heldout`). The two seed sets are disjoint, and each function refuses the
other's seeds, so a tuning script cannot drift onto held-out programs by accident.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from infra.simulator.fates import HELDOUT_FAMILY
from infra.simulator.program import Simulation, simulate

TUNING_SEEDS: tuple[int, ...] = tuple(range(1, 21))
HELDOUT_SEEDS: tuple[int, ...] = tuple(range(1001, 1021))


def simulate_tuning(seed: int, end: datetime, **kwargs: Any) -> Simulation:
    """A tuning program: never a held-out seed, never the held-out family."""
    if seed in HELDOUT_SEEDS:
        raise ValueError(f"seed {seed} is held out: tune on TUNING_SEEDS")
    return simulate(seed, end, exclude=(HELDOUT_FAMILY,), **kwargs)


def simulate_heldout(seed: int, end: datetime, **kwargs: Any) -> Simulation:
    """A held-out program: every family, the held-out one included; never a tuning seed."""
    if seed in TUNING_SEEDS:
        raise ValueError(f"seed {seed} is a tuning seed: report on HELDOUT_SEEDS")
    return simulate(seed, end, **kwargs)
