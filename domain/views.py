"""Read-only answers about people: resolved only where a person reads them."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class MemberProfile:
    """A member's readable details; ``None`` once they were forgotten."""

    member_id: UUID
    pseudonym: str
    display_name: str | None
    contact: str | None
    forgotten: bool


@dataclass(frozen=True)
class CoordinatorContact:
    """How to reach a coordinator with alerts."""

    coordinator_id: UUID
    name: str | None
    contact: str | None
    time_zone: str
    channel: str
    digest: str
    digest_hour: int
