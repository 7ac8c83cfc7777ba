"""The program simulator: realistic peer groups with known fates, spoken as ingest messages.

``simulate(seed, end, groups, weeks)`` is pure and deterministic; ``infra.simulator.sinks``
publishes its messages to Kafka, HTTP or a JSONL file. See docs/decisions/0011.
"""

from infra.simulator.fates import DYING, FATES
from infra.simulator.program import Simulation, simulate

__all__ = ["DYING", "FATES", "Simulation", "simulate"]
