"""Stored event names are schema: Group's events keep their topics wherever their code lives."""

from __future__ import annotations

from eventsourcing.domain import CanMutateAggregate
from eventsourcing.utils import get_topic, resolve_topic

from domain.group import Group

STORED = {
    "Formed", "DetailsAmended", "MemberJoined", "MemberRoleChanged", "MemberLeft",
    "SessionScheduled", "SessionHeld", "SessionCancelled", "AttendanceMarked",
    "AttendanceCorrected", "CommitmentMade", "CommitmentAmended", "CommitmentKept",
    "CommitmentMissed", "CommitmentDropped", "MemberLapsed", "MemberReengaged", "Paused",
    "Resumed", "MentorCheckedIn", "InterventionLogged", "Concluded", "Dissolved",
}  # fmt: skip


def _event_classes() -> dict[str, type]:
    return {
        name: value
        for name in dir(Group)
        if isinstance(value := getattr(Group, name), type)
        and issubclass(value, CanMutateAggregate)
        and name not in ("Event", "Created")
    }


def test_every_group_event_is_stored_under_its_historic_topic() -> None:
    events = _event_classes()
    assert set(events) == STORED
    for name, event in events.items():
        topic = get_topic(event)
        assert topic == f"domain.group:Group.{name}"
        assert resolve_topic(topic) is event
        assert event.__qualname__ == f"Group.{name}"  # the wire catalogue's domain name


def test_the_group_and_its_snapshots_keep_their_topics() -> None:
    assert get_topic(Group) == "domain.group:Group"
    assert get_topic(Group.Snapshot) == "eventsourcing.domain:Snapshot"
