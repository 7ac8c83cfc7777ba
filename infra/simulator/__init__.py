"""The program simulator: realistic peer groups with known fates, spoken as ingest messages.

``simulate(seed, end, groups, weeks, exclude=...)`` is pure and deterministic;
``simulate_tuning`` / ``simulate_heldout`` with ``TUNING_SEEDS`` / ``HELDOUT_SEEDS`` are
the issue-13 split (``HELDOUT_FAMILY`` never appears in tuning). ``infra.simulator.sinks``
publishes the messages to Kafka, HTTP or a JSONL file. See docs/decisions/0011.
"""

from infra.simulator.fates import DYING, FATES, HELDOUT_FAMILY, TUNING_FAMILIES
from infra.simulator.plan import DORMANT_AFTER_PERIODS, GroupTruth
from infra.simulator.program import Simulation, simulate
from infra.simulator.split import HELDOUT_SEEDS, TUNING_SEEDS, simulate_heldout, simulate_tuning

__all__ = [
    "DORMANT_AFTER_PERIODS",
    "DYING",
    "FATES",
    "HELDOUT_FAMILY",
    "HELDOUT_SEEDS",
    "TUNING_FAMILIES",
    "TUNING_SEEDS",
    "GroupTruth",
    "Simulation",
    "simulate",
    "simulate_heldout",
    "simulate_tuning",
]
