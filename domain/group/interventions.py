"""What a coordinator did about a group (a call, a message, a meeting, a merge, its end).

An intervention is the coordinator's side of the loop (issue 14, decision 0019): who (the
coordinator's id, never a name), when, what, and an optional short note. ``merged`` names
the group the members joined and dissolves this one; ``ended`` concludes it: a coordinator
saying the group has ended is the end of the group, so it stops being judged and alerted.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import InvalidCommand
from domain.group.guards import GroupGuards

if TYPE_CHECKING:
    from domain.group import Group

KINDS = ("call", "message", "meeting", "merged", "ended")
"""What a coordinator can have done; ``merged`` and ``ended`` also end the group."""
MAX_NOTE = 500


class Interventions(GroupGuards):
    """The intervention command and event; mixed into :class:`domain.group.Group`."""

    interventions: list[list[Any]]
    """``[coordinator id, kind, when]`` of every intervention logged: a repeat is a no-op."""
    conclude: Any
    dissolve: Any

    def log_intervention(self, coordinator_id: UUID, kind: str, now: datetime, note: str = "",
                         merged_into: UUID | None = None) -> None:  # fmt: skip
        """Record what coordinator ``coordinator_id`` did at ``now``.

        The same coordinator, kind and time again changes nothing (re-sending is harmless,
        even after it ended the group). ``merged`` needs ``merged_into`` (another group)
        and dissolves this group; ``ended`` concludes it. A closed group refuses.
        """
        _check(self.id, kind, note, merged_into)
        if [coordinator_id, kind, now] in self.interventions:
            return
        self.require_open(f"log a {kind} intervention")
        self.trigger_event(self.InterventionLogged, timestamp=now, coordinator_id=coordinator_id,
                           kind=kind, note=note, merged_into=merged_into)  # fmt: skip
        if kind == "merged":
            self.dissolve(f"merged into group {merged_into}", now)
        elif kind == "ended":
            self.conclude(f"ended, as coordinator {coordinator_id} reported", now)

    class InterventionLogged(Aggregate.Event):
        """A coordinator acted on the group (ingest of ``intervention.logged``, the API or
        the CLI): ``kind`` is one of :data:`KINDS`; ``merged_into`` names the group a
        ``merged`` group's members joined."""

        coordinator_id: UUID
        kind: str
        note: str
        merged_into: UUID | None

        def apply(self, group: Group) -> None:
            group.interventions = [
                *group.interventions,
                [self.coordinator_id, self.kind, self.timestamp],
            ]


def _check(group_id: UUID, kind: str, note: str, merged_into: UUID | None) -> None:
    if kind not in KINDS:
        raise InvalidCommand(f"intervention kind {kind!r} is not one of {', '.join(KINDS)}")
    if len(note) > MAX_NOTE:
        raise InvalidCommand(f"an intervention note is at most {MAX_NOTE} characters")
    if (kind == "merged") != (merged_into is not None):
        raise InvalidCommand("merged_into names the other group of a 'merged' intervention, "
                             "and only of one")  # fmt: skip
    if merged_into == group_id:
        raise InvalidCommand(f"group {group_id} cannot be merged into itself")
