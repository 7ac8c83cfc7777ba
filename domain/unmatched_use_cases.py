"""Attendance matched against the roster: applied, or held as unmatched (decision 0021).

A roll call or a mark is taken as it came when the roster knows what it names. When it
does not, and the program is launched for real without ``auto_create``, what it cannot
place is held on the program's unmatched list (:mod:`domain.unmatched`): a whole roll call
for a group never formed, one mark per member never on the roster (the rest of the roll
call is recorded). Roster messages release what they made known; a coordinator maps or
rejects the rest. Programs never launched, provisional ones and those with ``auto_create``
provision what attendance names, as decision 0015 has it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import InvalidCommand, NotAMember, UnknownGroup, UnknownUnmatched
from domain.group import Group
from domain.moments import aware
from domain.program import Program
from domain.provisioning import NamedGroup, NamedProgram, Provisioning
from domain.unmatched import (
    UNKNOWN_GROUP,
    UNKNOWN_MEMBER,
    UnmatchedAttendance,
    item_key,
    unmatched_id,
)

Mark = tuple[UUID, str, str]
"""One member's mark: their id, the sender's id for them, and the status."""


@dataclass(frozen=True)
class Attendance:
    """What one attendance message said: a roll call, or one member's mark, for a session."""

    group: NamedGroup
    session_id: UUID
    session: str
    at: datetime
    marks: tuple[Mark, ...]
    attendance_taken: bool = True
    roll_call: bool = True

    def item(self, reason: str) -> dict[str, Any]:
        """This attendance as an unmatched item (JSON-shaped, as it is stored)."""
        member = self.marks[0][0] if reason == UNKNOWN_MEMBER else None
        program = self.group.program
        return {"item": item_key(self.group.id, self.session_id, member), "reason": reason,
                "program_id": str(program.id), "program": program.external_id,
                "source": program.source, "group_id": str(self.group.id),
                "group": self.group.external_id, "session_id": str(self.session_id),
                "session": self.session, "at": self.at.isoformat(),
                "marks": [[str(m), ext, status] for m, ext, status in self.marks],
                "attendance_taken": self.attendance_taken, "roll_call": self.roll_call}  # fmt: skip

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> Attendance:
        """The attendance an unmatched item holds."""
        program = NamedProgram(UUID(item["program_id"]), item["program"], item["source"])
        group = NamedGroup(UUID(item["group_id"]), item["group"], program)
        marks = tuple((UUID(m), ext, status) for m, ext, status in item["marks"])
        return cls(group, UUID(item["session_id"]), item["session"],
                   datetime.fromisoformat(item["at"]), marks, item["attendance_taken"],
                   item["roll_call"])  # fmt: skip


class UnmatchedUseCases(Provisioning):
    """Takes attendance against the roster; holds, releases, maps and rejects unmatched items."""

    batch: Callable[..., Any]
    _current: Any

    def take_attendance(self, attendance: Attendance) -> None:
        """Record what the roster knows; hold (or provision, per the program) what it does not."""
        with self.unit() as uow:
            inbox = uow.find(unmatched_id(attendance.group.program.id), UnmatchedAttendance)
            attendance = _aliased(attendance, inbox)
            found = uow.find(attendance.group.id, Group)
            auto = self.auto_creates(attendance.group.program.id)
        if found is None and not auto:
            self._hold_unmatched(attendance, UNKNOWN_GROUP)
            return
        if auto:
            found = self.provision_members(attendance.group, [m for m, _, _ in attendance.marks],
                                           attendance.at)  # fmt: skip
        assert found is not None
        known = tuple(m for m in attendance.marks if found.ever_joined(m[0]))
        for mark in attendance.marks:
            if mark not in known:
                self._hold_unmatched(
                    replace(attendance, marks=(mark,), roll_call=False), UNKNOWN_MEMBER
                )
        self._apply_known(found, replace(attendance, marks=known))

    def auto_creates(self, program_id: UUID) -> bool:
        """Whether attendance provisions what it names in this program (0015) or is held."""
        with self.unit() as uow:
            program = uow.find(program_id, Program)
        return program is None or program.provisional or program.auto_create

    def release_held(self, program_id: UUID, now: datetime, group_id: UUID | None = None) -> None:
        """Apply every held item (of ``group_id``, or all) the roster now knows enough for."""
        with self.unit() as uow:
            inbox = uow.find(unmatched_id(program_id), UnmatchedAttendance)
            if inbox is None or not inbox.open:
                return
            auto = self.auto_creates(program_id)
            for key, item in list(inbox.open.items()):
                attendance = _aliased(Attendance.of(item), inbox)
                if group_id is not None and attendance.group.id != group_id:
                    continue
                group = uow.find(attendance.group.id, Group)
                if auto or _known(group, item, attendance):
                    inbox.release(key, aware(now))
                    self.take_attendance(Attendance.of(item))

    def map_unmatched(self, program_id: UUID, key: str, by: str, now: datetime,
                      group_id: UUID | None = None,
                      member_id: UUID | None = None) -> None:  # fmt: skip
        """A coordinator mapped an item to a known group or member: it is applied there."""
        with self._atomically(), self.unit() as uow:
            inbox = self._inbox(uow, program_id, key)
            item = inbox.item(key)
            if group_id is not None:
                group = uow.get(group_id, Group, UnknownGroup)
                if group.program_id != program_id:
                    raise InvalidCommand(f"group {group_id} is not in program {program_id}")
            if member_id is not None:
                group = uow.get(_aliased(Attendance.of(item), inbox).group.id, Group, UnknownGroup)
                if not group.ever_joined(member_id):
                    raise NotAMember(group.id, member_id)
            inbox.map(key, by, aware(now), group_id, member_id)
            self.take_attendance(Attendance.of(item))

    def reject_unmatched(self, program_id: UUID, key: str, by: str, reason: str,
                         now: datetime) -> None:  # fmt: skip
        """A coordinator rejected an item: dropped, with a record of who, when and why."""
        with self._atomically(), self.unit() as uow:
            self._inbox(uow, program_id, key).reject(key, by, reason, aware(now))

    def unmatched(self, program_id: UUID) -> UnmatchedAttendance | None:
        """The program's unmatched list (open items, resolved ones, aliases), if any."""
        with self.unit() as uow:
            return uow.find(unmatched_id(program_id), UnmatchedAttendance)

    def _hold_unmatched(self, attendance: Attendance, reason: str) -> None:
        program_id = attendance.group.program.id
        with self.unit() as uow:
            inbox = uow.find(unmatched_id(program_id), UnmatchedAttendance)
            if inbox is None:
                inbox = UnmatchedAttendance.start(program_id, aware(attendance.at))
                uow.add(inbox)
            inbox.hold(attendance.item(reason), aware(attendance.at))

    def _apply_known(self, group: Group, attendance: Attendance) -> None:
        group_id, session, at = group.id, attendance.session_id, attendance.at
        if attendance.roll_call and group.session_status(session) != "held":
            lists = {s: [m for m, _, st in attendance.marks if st == s]
                     for s in ("present", "absent", "excused")}  # fmt: skip
            self.hold_session(group_id, session, at, lists["present"], lists["absent"],
                              lists["excused"], attendance.attendance_taken)  # fmt: skip
            return
        for member, _, status in attendance.marks:
            self.mark_attendance(group_id, session, member, status, at)

    @contextmanager
    def _atomically(self) -> Iterator[None]:
        """The commands in the block commit together: in the current batch, or in their own."""
        if self._current.get() is not None:
            yield
            return
        with self.batch():
            yield

    @staticmethod
    def _inbox(uow: Any, program_id: UUID, key: str) -> UnmatchedAttendance:
        inbox = uow.find(unmatched_id(program_id), UnmatchedAttendance)
        if inbox is None:
            raise UnknownUnmatched(key)
        return inbox


def _known(group: Group | None, item: Mapping[str, Any], attendance: Attendance) -> bool:
    """Whether the roster now knows what the held item named."""
    if group is None:
        return False
    return item["reason"] == UNKNOWN_GROUP or group.ever_joined(attendance.marks[0][0])


def _aliased(attendance: Attendance, inbox: UnmatchedAttendance | None) -> Attendance:
    """The attendance with the coordinators' mappings applied to its group and members."""
    if inbox is None:
        return attendance
    group = attendance.group
    alias = inbox.group_aliases.get(str(group.id))
    if alias is not None:
        group = replace(group, id=UUID(alias))
    marks = tuple((UUID(inbox.member_aliases.get(str(m), str(m))), ext, status)
                  for m, ext, status in attendance.marks)  # fmt: skip
    return replace(attendance, group=group, marks=marks)
