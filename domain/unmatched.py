"""The unmatched list: attendance naming a group or member the program's roster does not know.

Decision 0021. Once a program is launched for real without ``auto_create``, a roll call or
mark that names a group never formed, or a member never on the group's roster, is held
here instead of provisioning a phantom (decision 0015 still provisions for programs never
launched, and for programs whose attendance source *is* the roster). An item is resolved
once: released when the roster later names what it named (out-of-order arrival), mapped by
a coordinator to a group or member the roster knows (the mapping is kept as an alias, so
the same sender's id is matched from then on), or rejected with a reason. One aggregate
per program; its events stay off the public wire (they hold senders' raw ids).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import InvalidCommand, UnknownUnmatched

UNKNOWN_GROUP = "unknown-group"
UNKNOWN_MEMBER = "unknown-member"


def unmatched_id(program_id: UUID) -> UUID:
    """The id of a program's unmatched list."""
    return uuid5(program_id, "unmatched-attendance")


def item_key(group_id: UUID, session_id: UUID, member_id: UUID | None) -> str:
    """One held item's stable id: a whole roll call (``member_id`` None) or one member's mark."""
    return str(uuid5(group_id, f"{session_id}/{member_id or 'roll-call'}"))


class _Lists:
    """The list's state (declared apart: annotations on the aggregate would be __init__ args)."""

    program_id: UUID
    open: dict[str, dict[str, Any]]
    closed: dict[str, dict[str, Any]]
    group_aliases: dict[str, str]
    member_aliases: dict[str, str]


class UnmatchedAttendance(_Lists, Aggregate):
    """A program's held attendance, what became of each item, and coordinators' mappings."""

    @classmethod
    def start(cls, program_id: UUID, now: datetime) -> UnmatchedAttendance:
        """The program's (empty) unmatched list, opened by the first item held."""
        return cls._create(cls.Started, id=unmatched_id(program_id), timestamp=now,
                           program_id=program_id)  # fmt: skip

    def hold(self, item: dict[str, Any], now: datetime) -> None:
        """Hold ``item``; the same again, or one a coordinator rejected, changes nothing."""
        key = item["item"]
        if self.open.get(key) == item or self.closed.get(key, {}).get("outcome") == "rejected":
            return
        self.trigger_event(self.AttendanceHeld, timestamp=now, item=item)

    def release(self, key: str, now: datetime) -> None:
        """The roster now knows what the item named: it is applied as it came."""
        self.trigger_event(self.AttendanceReleased, timestamp=now, item_key=key)

    def map(self, key: str, by: str, now: datetime, group_id: UUID | None = None,
            member_id: UUID | None = None) -> dict[str, Any]:  # fmt: skip
        """A coordinator said which known group (or member) the item meant; returns the item."""
        item = self.item(key)
        wanted = "group" if item["reason"] == UNKNOWN_GROUP else "member"
        target = group_id if wanted == "group" else member_id
        if target is None or (group_id is not None and member_id is not None):
            raise InvalidCommand(f"unmatched item {key} names an unknown {wanted}: map it to "
                                 f"a {wanted} (and only that)")  # fmt: skip
        named = item["group_id"] if wanted == "group" else item["marks"][0][0]
        self.trigger_event(self.AttendanceMapped, timestamp=now, item_key=key, by=by,
                           kind=wanted, alias_of=named, target=str(target))  # fmt: skip
        return item

    def reject(self, key: str, by: str, reason: str, now: datetime) -> None:
        """A coordinator said the item is not theirs (a stranger, a test, a typo)."""
        self.item(key)
        self.trigger_event(self.AttendanceRejected, timestamp=now, item_key=key, by=by,
                           reason=reason)  # fmt: skip

    def item(self, key: str) -> dict[str, Any]:
        """The open item, or :class:`UnknownUnmatched`."""
        if key not in self.open:
            raise UnknownUnmatched(key)
        return self.open[key]

    def _close(self, key: str, outcome: str, at: datetime, **detail: Any) -> None:
        item = self.open.pop(key, None)
        if item is not None:
            self.closed[key] = {"outcome": outcome, "at": at.isoformat(), "item": item, **detail}

    class Started(Aggregate.Created):
        """The first unmatched attendance of a program arrived (emitted by ingest)."""

        program_id: UUID

        def apply(self, inbox: UnmatchedAttendance) -> None:
            inbox.program_id, inbox.open, inbox.closed = self.program_id, {}, {}
            inbox.group_aliases, inbox.member_aliases = {}, {}

    class AttendanceHeld(Aggregate.Event):
        """Ingest held a roll call or a mark naming a group or member the roster does not
        know (``item``: what it said, with the sender's ids and ``reason``)."""

        item: dict[str, Any]

        def apply(self, inbox: UnmatchedAttendance) -> None:
            inbox.open[self.item["item"]] = self.item
            inbox.closed.pop(self.item["item"], None)

    class AttendanceReleased(Aggregate.Event):
        """The roster came to name what the item named; ingest applied it as it came."""

        item_key: str

        def apply(self, inbox: UnmatchedAttendance) -> None:
            inbox._close(self.item_key, "released", self.timestamp)

    class AttendanceMapped(Aggregate.Event):
        """A coordinator mapped the sender's group or member (``alias_of``) to a known one."""

        item_key: str
        by: str
        kind: str
        alias_of: str
        target: str

        def apply(self, inbox: UnmatchedAttendance) -> None:
            aliases = inbox.group_aliases if self.kind == "group" else inbox.member_aliases
            aliases[self.alias_of] = self.target
            inbox._close(self.item_key, "mapped", self.timestamp, by=self.by, target=self.target)

    class AttendanceRejected(Aggregate.Event):
        """A coordinator rejected the item: it is dropped, with this record of who and why."""

        item_key: str
        by: str
        reason: str

        def apply(self, inbox: UnmatchedAttendance) -> None:
            inbox._close(self.item_key, "rejected", self.timestamp, by=self.by,
                         reason=self.reason)  # fmt: skip
