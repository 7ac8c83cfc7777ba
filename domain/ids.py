"""Stable identifiers: other systems' ids become UUIDs, so re-sending is harmless."""

from __future__ import annotations

from functools import lru_cache
from uuid import UUID, uuid5

NAMESPACE = UUID("6f1c2d4e-8a3b-5c7d-9e0f-1a2b3c4d5e6f")
"""Fixed namespace of every derived id. Changing it would orphan every stored aggregate."""


@lru_cache(maxsize=65536)
def derive_id(kind: str, source: str, external_id: str) -> UUID:
    """The peerpulse UUID of ``external_id`` of ``kind`` (group, member…) in system ``source``."""
    return uuid5(NAMESPACE, f"{kind}:{source}:{external_id}")


CLOCK_ID = derive_id("clock", "peerpulse", "clock")
"""The id of the one :class:`~domain.clock.Clock` aggregate."""
