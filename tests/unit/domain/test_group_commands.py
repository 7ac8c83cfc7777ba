"""Given/when/then for every Group command: the facts each records, and repeats that record none."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.errors import (
    AlreadyAMember,
    AlreadyExists,
    CommitmentConflict,
    DomainError,
    GroupClosed,
    InvalidCommand,
    NotAMember,
    SessionAlreadyHeld,
    SessionCancelled,
    UnknownCommitment,
    UnknownGroup,
    UnknownProgram,
    UnknownSession,
)
from tests.unit.domain.conftest import World, day


def test_forming_a_group_records_formed_once(world: World) -> None:
    world.app.launch_program(world.program_id, "P", "Org", "weekly", day(0))
    coordinator = uuid4()
    form = (world.group_id, world.program_id, "Circle", "weekly", "ship", day(0), coordinator)
    recorded = world.when(world.app.form_group, *form)
    assert recorded == [
        (
            "Formed",
            {
                "program_id": world.program_id,
                "name": "Circle",
                "cadence": "weekly",
                "goal": "ship",
                "coordinator_id": coordinator,
                "provisional": False,
            },
        )
    ]
    assert world.when(world.app.form_group, *form) == []


def test_forming_the_same_group_differently_is_refused(world: World) -> None:
    world.given_group()
    with pytest.raises(AlreadyExists, match=str(world.group_id)):
        world.app.form_group(world.group_id, world.program_id, "Other", "weekly", "x", day(0))


def test_a_group_needs_a_launched_program_and_a_known_cadence(world: World) -> None:
    with pytest.raises(UnknownProgram) as unknown:
        world.app.form_group(world.group_id, world.program_id, "C", "weekly", "g", day(0))
    assert unknown.value.code == "unknown-program"
    world.app.launch_program(world.program_id, "P", "Org", "weekly", day(0))
    with pytest.raises(InvalidCommand, match="cadence 'daily'"):
        world.app.form_group(world.group_id, world.program_id, "C", "daily", "g", day(0))


def test_commands_on_an_unknown_group_name_it(world: World) -> None:
    group = uuid4()
    with pytest.raises(UnknownGroup, match=str(group)) as err:
        world.app.hold_session(group, uuid4(), day(0))
    assert err.value.code == "unknown-group"


def test_joining_and_leaving(world: World) -> None:
    world.given_group(members=0)
    member = uuid4()
    assert world.when(world.app.join_member, world.group_id, member, "mentor", day(0)) == [
        ("MemberJoined", {"member_id": member, "role": "mentor", "provisional": False})
    ]
    assert world.when(world.app.join_member, world.group_id, member, "mentor", day(0)) == []
    with pytest.raises(AlreadyAMember):
        world.app.join_member(world.group_id, member, "peer", day(0))
    assert world.when(world.app.leave_member, world.group_id, member, day(1)) == [
        ("MemberLeft", {"member_id": member})
    ]
    assert world.when(world.app.leave_member, world.group_id, member, day(1)) == []


def test_unknown_role_is_refused(world: World) -> None:
    world.given_group()
    with pytest.raises(InvalidCommand, match="role 'boss'"):
        world.app.join_member(world.group_id, uuid4(), "boss", day(0))


def test_leaving_a_group_one_never_joined_is_refused(world: World) -> None:
    world.given_group()
    stranger = uuid4()
    with pytest.raises(NotAMember, match=f"member {stranger} is not a member of group"):
        world.app.leave_member(world.group_id, stranger, day(0))


def test_scheduling_holding_and_cancelling_sessions(world: World) -> None:
    a, b, c = world.given_group().members
    held, cancelled = uuid4(), uuid4()
    assert world.when(world.app.schedule_session, world.group_id, held, day(7), day(0)) == [
        ("SessionScheduled", {"session_id": held, "scheduled_for": day(7)})
    ]
    assert world.when(world.app.schedule_session, world.group_id, held, day(7), day(0)) == []
    assert world.hold(held, at=7, present=[a], absent=[b], excused=[c]) == [
        (
            "SessionHeld",
            {
                "session_id": held,
                "present": [a],
                "absent": [b],
                "excused": [c],
                "attendance_taken": True,
            },
        )
    ]
    assert world.when(world.app.cancel_session, world.group_id, cancelled, "ill", day(1)) == [
        ("SessionCancelled", {"session_id": cancelled, "reason": "ill"})
    ]
    assert world.when(world.app.cancel_session, world.group_id, cancelled, "ill", day(1)) == []


def test_an_identical_held_repeat_is_a_no_op_and_a_different_one_is_refused(world: World) -> None:
    a, b, _ = world.given_group().members
    session = uuid4()
    world.hold(session, at=0, present=[a], absent=[b])
    assert world.hold(session, at=0, present=[a], absent=[b]) == []
    with pytest.raises(
        SessionAlreadyHeld, match=f"session {session} of group {world.group_id}"
    ) as err:
        world.hold(session, at=0, present=[a, b])
    assert err.value.code == "session-already-held"


def test_a_cancelled_session_cannot_be_held_and_a_held_one_cannot_be_cancelled(
    world: World,
) -> None:
    world.given_group()
    cancelled, held = uuid4(), uuid4()
    world.app.cancel_session(world.group_id, cancelled, "storm", day(0))
    with pytest.raises(SessionCancelled):
        world.hold(cancelled, at=0)
    world.hold(held, at=1)
    with pytest.raises(SessionAlreadyHeld):
        world.app.cancel_session(world.group_id, held, "oops", day(2))


def test_attendance_for_a_non_member_names_group_member_and_session(world: World) -> None:
    world.given_group()
    stranger, session = uuid4(), uuid4()
    with pytest.raises(NotAMember) as err:
        world.hold(session, at=0, present=[stranger])
    assert err.value.code == "not-a-member"
    for part in (stranger, world.group_id, session):
        assert str(part) in str(err.value)
    assert world.app.get_group(world.group_id).sessions == {}


def test_a_member_marked_twice_in_one_session_is_refused(world: World) -> None:
    a, _, _ = world.given_group().members
    with pytest.raises(InvalidCommand, match="both present and absent"):
        world.hold(at=0, present=[a], absent=[a])


def test_marking_attendance_holds_an_unheld_session(world: World) -> None:
    a, b, _ = world.given_group().members
    session = uuid4()
    recorded = world.when(world.app.mark_attendance, world.group_id, session, a, "present", day(0))
    assert recorded == [
        (
            "SessionHeld",
            {
                "session_id": session,
                "present": [a],
                "absent": [],
                "excused": [],
                "attendance_taken": True,
            },
        )
    ]
    assert world.when(world.app.mark_attendance, world.group_id, session, b, "absent", day(0)) == [
        ("AttendanceMarked", {"session_id": session, "member_id": b, "status": "absent"})
    ]
    assert world.when(world.app.mark_attendance, world.group_id, session, b, "absent", day(0)) == []


def test_a_different_second_mark_is_recorded_as_a_correction(world: World) -> None:
    a, _, _ = world.given_group().members
    session = uuid4()
    world.app.mark_attendance(world.group_id, session, a, "absent", day(0))
    assert world.names(
        world.when(world.app.mark_attendance, world.group_id, session, a, "excused", day(0))
    ) == ["AttendanceCorrected"]


def test_correcting_an_unheld_session_is_refused(world: World) -> None:
    a, _, _ = world.given_group().members
    session = uuid4()
    with pytest.raises(UnknownSession, match=str(session)) as err:
        world.app.correct_attendance(world.group_id, session, a, "present", day(0))
    assert err.value.code == "unknown-session"


def test_correcting_to_the_same_status_changes_nothing(world: World) -> None:
    a, _, _ = world.given_group().members
    session = uuid4()
    world.hold(session, at=0, present=[a])
    assert (
        world.when(world.app.correct_attendance, world.group_id, session, a, "present", day(1))
        == []
    )


def test_unknown_attendance_status_is_refused(world: World) -> None:
    a, _, _ = world.given_group().members
    with pytest.raises(InvalidCommand, match="'late'"):
        world.app.mark_attendance(world.group_id, uuid4(), a, "late", day(0))


def test_commitments_are_made_then_kept_missed_or_dropped(world: World) -> None:
    a, _, _ = world.given_group().members
    ids = [uuid4() for _ in range(3)]
    for commitment in ids:
        assert world.names(
            world.when(world.app.make_commitment, world.group_id, commitment, a, day(0), due=day(7))
        ) == ["CommitmentMade"]
    for commitment, command, name in zip(
        ids,
        ("keep", "miss", "drop"),
        ("CommitmentKept", "CommitmentMissed", "CommitmentDropped"),
        strict=True,
    ):
        resolve = getattr(world.app, f"{command}_commitment")
        assert world.when(resolve, world.group_id, commitment, day(7)) == [
            (name, {"commitment_id": commitment, "member_id": a})
        ]
        assert world.when(resolve, world.group_id, commitment, day(7)) == []


def test_commitment_rules(world: World) -> None:
    a, b, _ = world.given_group().members
    stranger, commitment = uuid4(), uuid4()
    with pytest.raises(NotAMember, match=str(stranger)):
        world.app.make_commitment(world.group_id, uuid4(), stranger, day(0))
    world.app.make_commitment(world.group_id, commitment, a, day(0))
    assert world.when(world.app.make_commitment, world.group_id, commitment, a, day(0)) == []
    with pytest.raises(CommitmentConflict):
        world.app.make_commitment(world.group_id, commitment, b, day(0))
    world.app.keep_commitment(world.group_id, commitment, day(1))
    with pytest.raises(CommitmentConflict, match="already kept"):
        world.app.drop_commitment(world.group_id, commitment, day(2))
    with pytest.raises(UnknownCommitment):
        world.app.keep_commitment(world.group_id, uuid4(), day(2))


def test_pausing_and_resuming(world: World) -> None:
    world.given_group()
    assert world.when(world.app.pause_group, world.group_id, day(14), "exams", day(0)) == [
        ("Paused", {"until": day(14), "reason": "exams"})
    ]
    assert world.when(world.app.pause_group, world.group_id, day(14), "exams", day(1)) == []
    assert world.when(world.app.resume_group, world.group_id, day(3)) == [("Resumed", {})]
    assert world.when(world.app.resume_group, world.group_id, day(4)) == []
    with pytest.raises(InvalidCommand, match="must end after"):
        world.app.pause_group(world.group_id, day(1), "past", day(5))


def test_mentor_check_in_is_recorded_once_per_moment(world: World) -> None:
    world.given_group()
    mentor = uuid4()
    assert world.when(world.app.mentor_check_in, world.group_id, mentor, day(0)) == [
        ("MentorCheckedIn", {"mentor_id": mentor})
    ]
    assert world.when(world.app.mentor_check_in, world.group_id, mentor, day(0)) == []
    assert world.names(world.when(world.app.mentor_check_in, world.group_id, mentor, day(7))) == [
        "MentorCheckedIn"
    ]


@pytest.mark.parametrize(
    ("command", "event", "code"),
    [
        ("conclude_group", "Concluded", "group-concluded"),
        ("dissolve_group", "Dissolved", "group-dissolved"),
    ],
)
def test_nothing_changes_a_closed_group(world: World, command: str, event: str, code: str) -> None:
    a, _, _ = world.given_group().members
    close = getattr(world.app, command)
    assert world.when(close, world.group_id, "done", day(0)) == [(event, {"reason": "done"})]
    assert world.when(close, world.group_id, "done", day(0)) == []
    attempts = [
        lambda: world.hold(at=1, present=[a]),
        lambda: world.app.join_member(world.group_id, uuid4(), "peer", day(1)),
        lambda: world.app.make_commitment(world.group_id, uuid4(), a, day(1)),
        lambda: world.app.pause_group(world.group_id, day(9), "x", day(1)),
        lambda: world.app.conclude_group(world.group_id, "again", day(1)),
    ]
    for attempt in attempts:
        with pytest.raises(GroupClosed, match=str(world.group_id)) as err:
            attempt()
        assert err.value.code == code


def test_naive_times_are_refused(world: World) -> None:
    world.given_group()
    with pytest.raises(InvalidCommand, match="timezone-aware"):
        world.app.resume_group(world.group_id, day(0).replace(tzinfo=None))


def test_every_domain_error_has_a_code(world: World) -> None:
    import domain.errors as errors

    classes = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, DomainError) and c is not DomainError
    ]
    assert {c.code for c in classes} >= {
        "not-a-member",
        "session-already-held",
        "group-concluded",
        "unknown-session",
        "unknown-group",
    }
    assert len({c.code for c in classes}) == len(classes)
