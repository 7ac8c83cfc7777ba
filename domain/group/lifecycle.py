"""The group's life: planned pauses, mentor check-ins and its end, with their events."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import GroupClosed, InvalidCommand
from domain.group.guards import GroupGuards
from domain.lapse import in_pause

if TYPE_CHECKING:
    from domain.group import Group


class Lifecycle(GroupGuards):
    """Commands and events on the group's life; mixed into :class:`domain.group.Group`."""

    pauses: list[list[datetime]]
    last_pause: list[Any] | None
    last_check_in: list[Any] | None

    def pause(self, until: datetime, reason: str, now: datetime) -> None:
        """Start (or change) a planned break; sessions held inside it never count."""
        if self.last_pause == [until, reason] and in_pause(now, self.pauses):
            return
        self.require_open("pause")
        if until <= now:
            raise InvalidCommand(f"group {self.id}: a pause must end after it starts ({until})")
        self.trigger_event(self.Paused, timestamp=now, until=until, reason=reason)

    def resume(self, now: datetime) -> None:
        """End the current pause early; resuming an unpaused group changes nothing."""
        if not in_pause(now, self.pauses):
            return
        self.require_open("resume")
        self.trigger_event(self.Resumed, timestamp=now)

    def mentor_check_in(self, mentor_id: UUID, now: datetime) -> None:
        """Record a mentor looking in; the same mentor at the same moment is one check-in."""
        if self.last_check_in == [mentor_id, now]:
            return
        self.require_open(f"record a check-in by mentor {mentor_id}")
        self.trigger_event(self.MentorCheckedIn, timestamp=now, mentor_id=mentor_id)

    def conclude(self, reason: str, now: datetime) -> None:
        """End the group as planned."""
        self._close("concluded", reason, now, self.Concluded)

    def dissolve(self, reason: str, now: datetime) -> None:
        """Disband the group early."""
        self._close("dissolved", reason, now, self.Dissolved)

    def _close(self, state: str, reason: str, now: datetime, event: Any) -> None:
        if self.closed == [state, reason]:
            return
        if self.closed:
            raise GroupClosed(self.id, self.closed[0], f"be {state} ({reason})")
        self.trigger_event(event, timestamp=now, reason=reason)

    class Paused(Aggregate.Event):
        """The group takes a planned break (holidays, exams) until ``until``: never a risk."""

        until: datetime
        reason: str

        def apply(self, group: Group) -> None:
            group.pauses.append([self.timestamp, self.until])
            group.last_pause = [self.until, self.reason]

    class Resumed(Aggregate.Event):
        """The group came back from its pause before the planned end."""

        def apply(self, group: Group) -> None:
            at = self.timestamp
            group.pauses = [
                [start, at if start <= at < end else end] for start, end in group.pauses
            ]
            group.last_pause = None

    class MentorCheckedIn(Aggregate.Event):
        """A mentor looked in on the group."""

        mentor_id: UUID

        def apply(self, group: Group) -> None:
            group.last_check_in = [self.mentor_id, self.timestamp]

    class Concluded(Aggregate.Event):
        """The group finished its programme as planned."""

        reason: str

        def apply(self, group: Group) -> None:
            group.closed = ["concluded", self.reason]

    class Dissolved(Aggregate.Event):
        """The group was disbanded before its planned end."""

        reason: str

        def apply(self, group: Group) -> None:
            group.closed = ["dissolved", self.reason]
