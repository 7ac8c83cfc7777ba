"""Intake use cases: an early message provisions what it names, in one commit (decision 0015)."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.application import EngagementApp
from domain.errors import InvalidCommand, UnknownGroup, UnknownProgram
from domain.intake import NamedGroup, NamedProgram
from tests.unit.domain.conftest import day


def named_group() -> NamedGroup:
    return NamedGroup(uuid4(), "g-7", NamedProgram(uuid4(), "prog-3", "lms.example"))


def test_a_mark_before_the_roster_provisions_program_group_and_member_in_one_commit(
    app: EngagementApp,
) -> None:
    group, ada, session = named_group(), uuid4(), uuid4()
    app.intake_attendance_marked(group, session, ada, "present", day(0))
    program = app.get_program(group.program.id)
    assert (program.name, program.organisation, program.provisional) == ("prog-3", "lms.example",
                                                                          True)  # fmt: skip
    found = app.get_group(group.id)
    assert (found.name, found.cadence, found.provisional) == ("g-7", "weekly", True)
    assert found.members == {str(ada): "peer"} and found.provisional_members == [str(ada)]
    assert found.session_status(session) == "held"
    assert app.recorder.max_notification_id() == 4  # launched, formed, joined, held: together


def test_an_intake_that_breaks_a_rule_provisions_nothing(app: EngagementApp) -> None:
    group, ada = named_group(), uuid4()
    with pytest.raises(InvalidCommand):
        app.intake_session_held(group, uuid4(), [ada], [ada], [], True, day(0))
    with pytest.raises(UnknownGroup):
        app.get_group(group.id)
    with pytest.raises(UnknownProgram):
        app.get_program(group.program.id)


def test_a_schedule_arriving_after_its_session_was_held_is_superseded(app: EngagementApp) -> None:
    group, ada, session = named_group(), uuid4(), uuid4()
    app.intake_session_held(group, session, [ada], [], [], True, day(1))
    before = app.get_group(group.id).version
    app.intake_session_scheduled(group, session, day(1), day(0))
    assert app.get_group(group.id).version == before


def test_a_settlement_before_its_commitment_makes_it_bare_and_the_late_details_amend_it(
    app: EngagementApp,
) -> None:
    group, ada, commitment, session = named_group(), uuid4(), uuid4(), uuid4()
    app.intake_commitment_kept(group, commitment, ada, day(3))
    app.intake_commitment_made(group, commitment, ada, session, day(7), day(1))
    record = app.get_group(group.id).commitments[str(commitment)]
    assert (record["status"], record["session_id"], record["due"]) == ("kept", session, day(7))
