"""Wire data for the Member (the person) and Clock aggregates' public events."""

from __future__ import annotations

from infra.contract.base import Pseudonym, Utc, WireData


class MemberRegistered(WireData):
    """A person was registered; only their pseudonym travels (name and contact stay sealed)."""

    TYPE = "peerpulse.member.registered.v1"
    DOMAIN = "Member.Registered"

    pseudonym: Pseudonym


class MemberForgotten(WireData):
    """A person asked to be forgotten; their sealed personal data can no longer be read."""

    TYPE = "peerpulse.member.forgotten.v1"
    DOMAIN = "Member.Forgotten"


class ClockTicked(WireData):
    """Event time passed a tick boundary; published to every partition of the topic."""

    TYPE = "peerpulse.clock.ticked.v1"
    DOMAIN = "Clock.Ticked"

    at: Utc


MODELS: tuple[type[WireData], ...] = (MemberRegistered, MemberForgotten, ClockTicked)
