"""A roll call or mark arriving after a member left still marks them for a session before (0015).

Senders are independent systems, so a session's roll call can arrive after a
``member.left`` the sender recorded later. A member on the roster at the session's time may
be marked for it: the session is recorded, the member stays left and is never lapsed. A
member who left before the session cannot be marked for it.
"""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.errors import NotAMember
from domain.group import Group
from domain.intake import NamedGroup, NamedProgram
from tests.unit.domain.conftest import World, day


def left_after_two_absences(world: World) -> tuple[object, object]:
    """A group (lapse after 3) where ``c`` missed two sessions, then left on day 15."""
    a, _, c = world.given_group(lapse_after=3).members
    world.hold(at=0, present=[a], absent=[c])
    world.hold(at=7, present=[a], absent=[c])
    world.app.leave_member(world.group_id, c, day(15))
    return a, c


def test_a_late_roll_call_marks_a_member_who_left_after_it_without_lapsing_them(
    world: World,
) -> None:
    a, c = left_after_two_absences(world)
    session = uuid4()
    recorded = world.hold(session, at=14, present=[a], absent=[c])  # their third miss
    assert world.names(recorded) == ["SessionHeld"]
    group = world.app.get_group(world.group_id)
    assert group.sessions[str(session)]["attendance"] == {str(a): "present", str(c): "absent"}
    assert str(c) not in group.members and str(c) in group.former
    assert group.lapsed == []


def test_a_late_one_by_one_mark_for_a_member_who_left_after_the_session_is_recorded(
    world: World,
) -> None:
    a, c = left_after_two_absences(world)
    session = uuid4()
    world.hold(session, at=14, present=[a])
    recorded = world.when(world.app.mark_attendance, world.group_id, session, c, "absent",
                          day(16))  # fmt: skip
    assert world.names(recorded) == ["AttendanceMarked"]
    assert world.when(world.app.correct_attendance, world.group_id, session, c, "excused",
                      day(17))[0][0] == "AttendanceCorrected"  # fmt: skip
    group = world.app.get_group(world.group_id)
    assert str(c) not in group.members and group.lapsed == []


def test_a_member_who_left_before_the_session_cannot_be_marked_for_it(world: World) -> None:
    a, c = left_after_two_absences(world)
    late = uuid4()
    with pytest.raises(NotAMember, match=str(c)):
        world.hold(late, at=21, present=[a], absent=[c])
    with pytest.raises(NotAMember, match=str(c)):
        world.app.mark_attendance(world.group_id, late, c, "present", day(21))
    world.hold(late, at=21, present=[a])
    with pytest.raises(NotAMember, match=str(c)):
        world.app.mark_attendance(world.group_id, late, c, "present", day(22))
    with pytest.raises(NotAMember, match=str(c)):  # leaving and the session at the same time
        world.hold(at=15, present=[a], absent=[c])


def test_a_late_roll_call_through_intake_neither_rejoins_nor_lapses_the_member(
    world: World,
) -> None:
    group = NamedGroup(uuid4(), "g-1", NamedProgram(uuid4(), "prog", "lms.example"))
    ada, cy, session = uuid4(), uuid4(), uuid4()
    app = world.app
    for at in (0, 7):
        app.intake_session_held(group, uuid4(), [ada], [cy], [], True, day(at))
    app.intake_member_left(group, cy, day(15))
    app.intake_session_held(group, session, [ada], [cy], [], True, day(14))
    app.intake_attendance_marked(group, session, cy, "excused", day(16))
    found = app.get_group(group.id)
    assert found.members == {str(ada): "peer"} and found.lapsed == []
    assert found.sessions[str(session)]["attendance"][str(cy)] == "excused"


def test_a_group_snapshot_from_before_leave_times_loads_and_refuses_as_before(
    world: World,
) -> None:
    a, c = left_after_two_absences(world)
    mapper = world.app.mapper
    taken = Group.Snapshot.take(world.app.get_group(world.group_id))
    assert mapper.to_domain_event(mapper.to_stored_event(taken)).state["left_at"] == {
        str(c): day(15)
    }
    snapshot = Group.Snapshot.take(world.app.get_group(world.group_id))
    assert snapshot.state.pop("class_version") == Group.class_version
    snapshot.state["class_version"] = 2
    snapshot.state.pop("left_at")
    snapshot.state.pop("interventions")
    restored = snapshot.mutate(None)
    assert restored.left_at == {}
    with pytest.raises(NotAMember):  # no time known for c: refused, as before
        restored.hold_session(uuid4(), day(14), [a], [c], [], True, 3)
    b = uuid4()
    restored.join(b, "peer", day(16))
    restored.leave(b, day(20))
    restored.hold_session(uuid4(), day(18), [a], [b], [], True, 3)  # leaves after it: kept
    assert str(b) in restored.left_at and restored.lapsed == []


def test_a_late_commitment_made_before_the_member_left_is_recorded(world: World) -> None:
    _, c = left_after_two_absences(world)  # c left on day 15
    made, refused = uuid4(), uuid4()
    recorded = world.when(world.app.make_commitment, world.group_id, made, c, day(14))
    assert world.names(recorded) == ["CommitmentMade"]
    with pytest.raises(NotAMember):
        world.app.make_commitment(world.group_id, refused, c, day(15))
    assert str(c) not in world.app.get_group(world.group_id).members
