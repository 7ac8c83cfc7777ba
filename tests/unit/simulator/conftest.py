"""Shared simulated programs (six seeds, default size) with their group views."""

from __future__ import annotations

import pytest

from infra.simulator import Simulation, simulate
from tests.unit.simulator.views import END, GroupView, views


@pytest.fixture(scope="session")
def programs() -> list[tuple[Simulation, dict[str, GroupView]]]:
    """Six default-size programs with their group views."""
    sims = [simulate(seed, END) for seed in range(6)]
    return [(s, views(s)) for s in sims]
