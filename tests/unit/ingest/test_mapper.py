"""Mapping ingest commands onto the EngagementApp, including out-of-order arrival (ADR 0015)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from consumers.ingest.mapper import apply
from domain.errors import DomainError
from domain.ids import derive_id
from tests.unit.ingest.conftest import (
    SOURCE,
    command,
    events,
    examples_in_time_order,
    gid,
    mid,
    msg,
    send,
    sid,
)

ROSTER = [
    msg("program.launched", {"program": "prog", "name": "P", "organisation": "O",
                             "cadence": "fortnightly"}),
    msg("group.formed", {"name": "Circle", "cadence": "fortnightly", "goal": "ship"}),
    msg("member.joined", {"member": "ada"}),
    msg("member.joined", {"member": "bob"}),
    msg("member.joined", {"member": "cy", "role": "mentor"}),
]  # fmt: skip


def test_roster_and_roll_call_become_domain_facts(app):
    send(app, *ROSTER, msg("session.held", {"session": "s1", "present": ["ada", "cy"],
                                            "absent": ["bob"]}, at=7))  # fmt: skip
    group = app.get_group(gid())
    assert group.members == {str(mid("ada")): "peer", str(mid("bob")): "peer",
                             str(mid("cy")): "mentor"}  # fmt: skip
    assert group.sessions[str(sid("s1"))]["attendance"][str(mid("bob"))] == "absent"
    assert events(app, gid())[-1] == "SessionHeld"


def test_a_message_delivered_twice_has_one_effect(app):
    held = msg("session.held", {"session": "s1", "present": ["ada"]}, at=7)
    send(app, *ROSTER, held)
    before = events(app, gid())
    send(app, *ROSTER, held)
    assert events(app, gid()) == before


def test_marks_before_the_roster_provision_program_group_and_member(app):
    send(app, msg("attendance.marked", {"session": "s1", "member": "ada", "status": "present"}))
    group = app.get_group(gid())
    assert group.members == {str(mid("ada")): "peer"}
    assert group.name == "g1"
    assert group.sessions[str(sid("s1"))]["status"] == "held"
    assert events(app, gid()) == ["Formed", "MemberJoined", "SessionHeld"]


def test_roster_arriving_after_marks_keeps_the_marks(app):
    send(app, msg("attendance.marked", {"session": "s1", "member": "ada", "status": "present"}))
    send(app, msg("member.joined", {"member": "ada"}), msg("member.joined", {"member": "bob"}))
    assert set(app.get_group(gid()).members) == {str(mid("ada")), str(mid("bob"))}
    assert app.get_group(gid()).sessions[str(sid("s1"))]["attendance"] == {
        str(mid("ada")): "present"
    }


def test_marks_one_by_one_after_the_session_are_recorded(app):
    send(app, *ROSTER, msg("session.held", {"session": "s1", "present": ["ada"]}, at=7))
    send(app, msg("attendance.marked", {"session": "s1", "member": "bob", "status": "excused"},
                  at=7.1))  # fmt: skip
    attendance = app.get_group(gid()).sessions[str(sid("s1"))]["attendance"]
    assert attendance == {str(mid("ada")): "present", str(mid("bob")): "excused"}
    assert events(app, gid())[-1] == "AttendanceMarked"


def test_roll_call_after_one_by_one_marks_is_merged_and_wins(app):
    send(app, *ROSTER)
    send(app, msg("attendance.marked", {"session": "s1", "member": "ada", "status": "absent"}, 7))
    send(app, msg("session.held", {"session": "s1", "present": ["ada", "bob"]}, at=7.1))
    attendance = app.get_group(gid()).sessions[str(sid("s1"))]["attendance"]
    assert attendance == {str(mid("ada")): "present", str(mid("bob")): "present"}
    assert events(app, gid())[-2:] == ["AttendanceCorrected", "AttendanceMarked"]


def test_meeting_without_attendance_is_held_without_marks(app):
    send(app, *ROSTER, msg("session.held", {"session": "s1", "attendance_taken": False}, at=7))
    session = app.get_group(gid()).sessions[str(sid("s1"))]
    assert (session["status"], session["attendance_taken"], session["attendance"]) == (
        "held",
        False,
        {},
    )


def test_schedule_arriving_after_the_session_was_held_is_superseded(app):
    send(app, *ROSTER, msg("session.held", {"session": "s1", "present": ["ada"]}, at=7))
    before = events(app, gid())
    send(
        app,
        msg("session.scheduled", {"session": "s1", "scheduled_for": "2025-01-13T17:00:00Z"}, at=1),
    )
    assert events(app, gid()) == before


def test_commitment_settled_before_it_was_made_is_made_then_settled(app):
    send(app, *ROSTER, msg("commitment.kept", {"commitment": "c1", "member": "ada"}, at=8))
    assert events(app, gid())[-2:] == ["CommitmentMade", "CommitmentKept"]


def test_commitment_made_after_its_settlement_amends_it_with_session_and_due_date(app):
    made = msg("commitment.made", {"commitment": "c1", "member": "ada", "session": "s1",
                                   "due": "2025-01-20T18:00:00Z"}, at=7)  # fmt: skip
    send(app, *ROSTER, msg("session.held", {"session": "s1", "present": ["ada"]}, at=7))
    send(app, msg("commitment.kept", {"commitment": "c1", "member": "ada"}, at=8), made, made)
    commitment = app.get_group(gid()).commitments[str(derive_id("commitment", SOURCE, "g1/c1"))]
    assert commitment == {"member_id": mid("ada"), "session_id": sid("s1"), "status": "kept",
                          "due": datetime(2025, 1, 20, 18, tzinfo=UTC)}  # fmt: skip
    assert events(app, gid())[-3:] == ["CommitmentMade", "CommitmentKept", "CommitmentAmended"]


def test_commitment_made_by_another_member_than_its_settlement_is_a_domain_error(app):
    send(app, *ROSTER, msg("commitment.kept", {"commitment": "c1", "member": "ada"}, at=8))
    with pytest.raises(DomainError) as caught:
        send(app, msg("commitment.made", {"commitment": "c1", "member": "bob"}, at=7))
    assert caught.value.code == "commitment-conflict"
    assert f"made by member {mid('ada')}, not {mid('bob')}" in str(caught.value)


def test_member_personal_data_is_sealed_not_stored_in_clear(app):
    send(app, *ROSTER[:2], msg("member.joined", {"member": "dee", "display_name": "Dee Diaz",
                                                 "contact": "dee@example.org"}))  # fmt: skip
    profile = app.member_profile(mid("dee"))
    assert (profile.display_name, profile.contact) == ("Dee Diaz", "dee@example.org")
    stored = [vars(e) for e in app.repository.event_store.get(mid("dee"))]
    assert "Dee Diaz" not in repr(stored)


def test_pause_and_resume(app):
    send(app, *ROSTER, msg("group.paused", {"until": "2025-03-01T00:00:00Z", "reason": "exams"}, 9),
         msg("group.resumed", {}, at=20))  # fmt: skip
    assert events(app, gid())[-2:] == ["Paused", "Resumed"]


def test_every_documented_example_applies_in_event_time_order(app):
    send(app, *[path.read_bytes() for path in examples_in_time_order()])
    group = app.get_group(gid("circle-7", "lms.northbridge.edu"))
    assert group.name == "Circle 7 - climate founders"
    assert len(group.commitments) == 2
    assert group.last_pause is None


def test_late_group_details_amend_a_provisional_group(app):
    send(app, msg("attendance.marked", {"session": "s1", "member": "ada", "status": "present"}))
    send(app, ROSTER[1])
    group = app.get_group(gid())
    assert (group.name, group.cadence, group.goal) == ("Circle", "fortnightly", "ship")
    assert events(app, gid())[-1] == "DetailsAmended"
    send(app, ROSTER[1])
    assert events(app, gid())[-1] == "DetailsAmended"


def test_late_program_details_amend_a_provisional_program(app):
    send(app, msg("attendance.marked", {"session": "s1", "member": "ada", "status": "present"}))
    send(app, ROSTER[0])
    program = app.get_program(derive_id("program", SOURCE, "prog"))
    assert (program.name, program.organisation, program.cadence) == ("P", "O", "fortnightly")
    assert events(app, program.id) == ["Launched", "DetailsAmended"]


def test_late_roster_role_replaces_a_provisional_peer(app):
    send(app, msg("attendance.marked", {"session": "s1", "member": "cy", "status": "present"}))
    send(app, ROSTER[4])
    assert app.get_group(gid()).members[str(mid("cy"))] == "mentor"
    assert events(app, gid())[-1] == "MemberRoleChanged"


def test_group_details_contradicting_a_formed_group_are_still_a_domain_error(app):
    send(app, *ROSTER)
    with pytest.raises(DomainError) as caught:
        send(app, msg("group.formed", {"name": "Other", "cadence": "monthly"}))
    assert caught.value.code == "already-exists"


def test_a_role_contradicting_the_roster_is_still_a_domain_error(app):
    send(app, *ROSTER)
    with pytest.raises(DomainError) as caught:
        send(app, msg("member.joined", {"member": "ada", "role": "mentor"}))
    assert caught.value.code == "already-a-member"


def test_roll_call_after_marks_in_the_same_batch_merges_and_other_marks_stay(app):
    send(app, *ROSTER)
    with app.batch():
        for raw in (
            msg("attendance.marked", {"session": "s1", "member": "ada", "status": "absent"}, 7),
            msg("attendance.marked", {"session": "s1", "member": "cy", "status": "excused"}, 7),
            msg("session.held", {"session": "s1", "present": ["ada"], "absent": ["bob"]}, 7.1),
            msg("session.held", {"session": "s1", "attendance_taken": False}, 7.2),
        ):
            apply(app, command(raw))
    attendance = app.get_group(gid()).sessions[str(sid("s1"))]["attendance"]
    assert attendance == {str(mid("ada")): "present", str(mid("bob")): "absent",
                          str(mid("cy")): "excused"}  # fmt: skip
