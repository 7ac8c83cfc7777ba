"""The ``CoordinatorDirectory`` port and its adapter over the ``EngagementApp``.

The router only needs to know, for one group: who is responsible (the group's coordinator,
else the program's lead), who escalations go to (the lead), how and when to reach them,
and a member's display name at the moment a message is written.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol
from uuid import UUID

from consumers.alerts.model import DIGESTS, Recipient, Routing
from domain.errors import DomainError

log = logging.getLogger(__name__)


class CoordinatorDirectory(Protocol):
    """Where routing facts and display names come from."""

    def routing(self, program_id: str, group_id: str) -> Routing:
        """Who is responsible for the group now."""

    def member_name(self, member_id: str) -> str | None:
        """The display name, else the pseudonym the dashboard shows; ``None`` if they asked
        to be forgotten, ``""`` if unknown."""


class AppDirectory:
    """:class:`CoordinatorDirectory` over the engagement app's aggregates and vault."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def routing(self, program_id: str, group_id: str) -> Routing:
        """Group coordinator (else the lead) and the lead, with their preferences.

        An unknown program or group yields nobody to tell (the notice then fails visibly);
        infrastructure errors propagate so the router retries instead.
        """
        try:
            program = self.app.get_program(UUID(program_id))
        except (DomainError, ValueError) as exc:
            log.warning("program %s unknown for alert routing: %s", program_id, exc)
            return Routing(program_id, group_id, None, None)
        group_name, coordinator_id = "", None
        try:
            group = self.app.get_group(UUID(group_id))
            group_name, coordinator_id = group.name, group.coordinator_id
        except (DomainError, ValueError) as exc:  # an unknown group still reaches the lead
            log.warning("group %s not found for alert routing: %s", group_id, exc)
        lead_id = getattr(program, "lead", None)
        lead = self._recipient(program_id, lead_id)
        own = self._recipient(program_id, coordinator_id)
        return Routing(
            program_id=program_id,
            group_id=group_id,
            coordinator=own or lead,
            lead=lead,
            program_name=getattr(program, "name", ""),
            group_name=group_name,
            escalate_after_days=int(getattr(program, "escalate_after_days", 3) or 3),
        )

    def _recipient(self, program_id: str, coordinator_id: Any) -> Recipient | None:
        if coordinator_id is None:
            return None
        try:
            c = self.app.coordinator_contact(UUID(program_id), UUID(str(coordinator_id)))
        except (DomainError, ValueError) as exc:  # unassigned since: fall back to the lead
            log.warning("coordinator %s of %s unavailable: %s", coordinator_id, program_id, exc)
            return None
        return Recipient(
            coordinator_id=str(c.coordinator_id),
            name=c.name or "coordinator",
            channel=c.channel,
            address=c.contact or "",
            time_zone=c.time_zone,
            digest=digest_preference(c.digest, c.coordinator_id),
            digest_hour=digest_hour(c.digest_hour, c.coordinator_id),
        )

    def member_name(self, member_id: str) -> str | None:
        """Unsealed display name (from the vault), else the member's pseudonym as the
        dashboard shows it; ``None`` when forgotten, ``""`` when unknown."""
        try:
            profile = self.app.member_profile(UUID(member_id))
        except (DomainError, ValueError):
            return ""
        if profile.forgotten:
            return None
        return profile.display_name or getattr(profile, "pseudonym", "") or ""


def digest_preference(value: Any, coordinator_id: Any = "?") -> str:
    """``immediate`` or ``daily`` (the default); anything else is logged and read as daily,
    so a bad value costs a day's delay, never a lost or flooding alert."""
    if value in DIGESTS:
        return str(value)
    if value not in (None, ""):
        log.warning("coordinator %s: unknown digest %r, using daily", coordinator_id, value)
    return "daily"


def digest_hour(value: Any, coordinator_id: Any = "?") -> int:
    """The local hour (0–23) of a daily digest; anything else is logged and read as 08."""
    try:
        hour = int(value)
    except (TypeError, ValueError):
        hour = -1
    if 0 <= hour < 24:
        return hour
    log.warning("coordinator %s: bad digest hour %r, using 8", coordinator_id, value)
    return 8


class StaticDirectory:
    """A fixed directory for tests and demos."""

    def __init__(self, routings: dict[str, Routing], names: dict[str, str | None]) -> None:
        self.routings, self.names = routings, names

    def routing(self, program_id: str, group_id: str) -> Routing:
        """The configured routing (no coordinator when unknown)."""
        return self.routings.get(group_id) or Routing(program_id, group_id, None, None)

    def member_name(self, member_id: str) -> str | None:
        """The configured name."""
        return self.names.get(member_id, "")
