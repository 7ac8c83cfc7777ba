"""The lapse policy: who lapses, when, and who comes back."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from tests.unit.domain.conftest import World, day


def test_member_lapses_after_three_unexcused_absences(world: World) -> None:
    a, b, c = world.given_group(lapse_after=3).members
    world.hold(at=0, present=[a, b])
    world.hold(at=7, present=[a, b], absent=[c])
    world.hold(at=14, present=[a, b], absent=[c])
    recorded = world.hold(at=21, present=[a, b], absent=[c])
    assert world.names(recorded) == ["SessionHeld", "MemberLapsed"]
    assert recorded[1][1] == {"member_id": c, "misses": 3, "last_seen": None}


def test_two_absences_are_not_yet_a_lapse(world: World) -> None:
    a, b, c = world.given_group(lapse_after=3).members
    world.hold(at=0, absent=[c], present=[a])
    assert world.names(world.hold(at=7, absent=[c], present=[a])) == ["SessionHeld"]
    assert world.app.get_group(world.group_id).lapsed == []


def test_lapse_reports_when_the_member_was_last_seen(world: World) -> None:
    a, _, c = world.given_group(lapse_after=2).members
    world.hold(at=0, present=[a, c])
    world.hold(at=7, absent=[c])
    recorded = world.hold(at=14, absent=[c])
    assert recorded[-1] == ("MemberLapsed", {"member_id": c, "misses": 2, "last_seen": day(0)})


def test_excused_absence_neither_counts_nor_resets_the_streak(world: World) -> None:
    _, _, c = world.given_group(lapse_after=3).members
    world.hold(at=0, absent=[c])
    world.hold(at=7, excused=[c])
    world.hold(at=14, absent=[c])
    assert world.names(world.hold(at=21, excused=[c])) == ["SessionHeld"]
    assert world.names(world.hold(at=28, absent=[c]))[-1] == "MemberLapsed"


def test_presence_resets_the_streak(world: World) -> None:
    _, _, c = world.given_group(lapse_after=2).members
    world.hold(at=0, absent=[c])
    world.hold(at=7, present=[c])
    assert world.names(world.hold(at=14, absent=[c])) == ["SessionHeld"]


def test_sessions_held_inside_a_pause_never_count(world: World) -> None:
    _, _, c = world.given_group(lapse_after=2).members
    world.hold(at=0, absent=[c])
    world.app.pause_group(world.group_id, day(20), "exams", day(1))
    assert world.names(world.hold(at=7, absent=[c])) == ["SessionHeld"]
    assert world.names(world.hold(at=14, absent=[c])) == ["SessionHeld"]
    assert world.names(world.hold(at=21, absent=[c]))[-1] == "MemberLapsed"


def test_resuming_early_makes_later_sessions_count_again(world: World) -> None:
    _, _, c = world.given_group(lapse_after=2).members
    world.app.pause_group(world.group_id, day(60), "holidays", day(-1))
    world.hold(at=0, absent=[c])
    world.app.resume_group(world.group_id, day(5))
    world.hold(at=7, absent=[c])
    assert world.names(world.hold(at=14, absent=[c]))[-1] == "MemberLapsed"


def test_lapsed_member_present_again_is_reengaged(world: World) -> None:
    _, _, c = world.given_group(lapse_after=2).members
    world.hold(at=0, absent=[c])
    world.hold(at=7, absent=[c])
    session = uuid4()
    recorded = world.hold(session, at=14, present=[c])
    assert recorded[-1] == ("MemberReengaged", {"member_id": c, "session_id": session})
    assert world.app.get_group(world.group_id).lapsed == []


def test_correcting_an_absence_to_excused_reengages_on_the_corrected_session(world: World) -> None:
    _, _, c = world.given_group(lapse_after=2).members
    first = uuid4()
    world.hold(first, at=0, absent=[c])
    world.hold(at=7, absent=[c])
    recorded = world.when(world.app.correct_attendance, world.group_id, first, c, "excused", day(8))
    assert recorded == [
        (
            "AttendanceCorrected",
            {"session_id": first, "member_id": c, "status": "excused", "previous": "absent"},
        ),
        ("MemberReengaged", {"member_id": c, "session_id": first}),
    ]


def test_correcting_presence_to_absence_can_cause_a_lapse(world: World) -> None:
    _, _, c = world.given_group(lapse_after=2).members
    world.hold(at=0, absent=[c])
    second = uuid4()
    world.hold(second, at=7, present=[c])
    recorded = world.when(world.app.correct_attendance, world.group_id, second, c, "absent", day(8))
    assert world.names(recorded) == ["AttendanceCorrected", "MemberLapsed"]
    assert recorded[1][1]["misses"] == 2


def test_a_late_single_mark_re_evaluates_the_lapse(world: World) -> None:
    a, _, c = world.given_group(lapse_after=2).members
    world.hold(at=0, absent=[c], present=[a])
    late = uuid4()
    world.hold(late, at=7, present=[a])
    recorded = world.when(world.app.mark_attendance, world.group_id, late, c, "absent", day(9))
    assert world.names(recorded) == ["AttendanceMarked", "MemberLapsed"]


def test_a_session_reported_out_of_order_is_judged_by_when_it_happened(world: World) -> None:
    _, _, c = world.given_group(lapse_after=2).members
    world.hold(at=0, absent=[c])
    world.hold(at=14, absent=[c])  # lapsed now: two absences in a row
    recorded = world.hold(at=7, present=[c])  # ...but c was there in between
    assert world.names(recorded) == ["SessionHeld", "MemberReengaged"]


def test_session_without_attendance_taken_counts_for_nobody(world: World) -> None:
    _, _, c = world.given_group(lapse_after=2).members
    world.hold(at=0, absent=[c])
    world.hold(at=7, attendance_taken=False)
    assert world.names(world.hold(at=14, absent=[c]))[-1] == "MemberLapsed"


def test_a_stricter_lapse_policy_applies_from_the_next_session(world: World) -> None:
    _, _, c = world.given_group(lapse_after=3).members
    world.hold(at=0, absent=[c])
    world.app.change_lapse_policy(world.program_id, 1, day(1))
    assert world.names(world.hold(at=7, absent=[c]))[-1] == "MemberLapsed"


def test_a_member_who_left_is_no_longer_lapsed(world: World) -> None:
    _, _, c = world.given_group(lapse_after=1).members
    world.hold(at=0, absent=[c])
    world.app.leave_member(world.group_id, c, day(1) + timedelta(hours=1))
    assert world.app.get_group(world.group_id).lapsed == []
