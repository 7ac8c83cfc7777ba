"""Provisional details (ingest's placeholders, decision 0015) are replaced by the real ones."""

from __future__ import annotations

from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.errors import AlreadyAMember, AlreadyExists
from domain.group import Group
from domain.program import Program
from tests.unit.domain.conftest import World, day


def provisional_group(world: World) -> World:
    world.app.launch_program(
        world.program_id, "ext-prog", "lms", "weekly", day(0), provisional=True
    )
    world.app.form_group(
        world.group_id, world.program_id, "ext-g", "weekly", "", day(0), provisional=True
    )
    return world


def test_real_group_details_amend_a_provisional_group_once(world: World) -> None:
    provisional_group(world)
    coordinator = uuid4()
    form = (world.group_id, world.program_id, "Circle", "fortnightly", "ship", day(1), coordinator)
    assert world.when(world.app.form_group, *form) == [("DetailsAmended", {
        "name": "Circle", "cadence": "fortnightly", "goal": "ship",
        "coordinator_id": coordinator})]  # fmt: skip
    group = world.app.get_group(world.group_id)
    assert (group.name, group.cadence, group.provisional) == ("Circle", "fortnightly", False)
    assert world.when(world.app.form_group, *form) == []


def test_details_contradicting_an_amended_group_are_refused(world: World) -> None:
    provisional_group(world)
    world.app.form_group(world.group_id, world.program_id, "Circle", "weekly", "", day(1))
    with pytest.raises(AlreadyExists):
        world.app.form_group(world.group_id, world.program_id, "Other", "weekly", "", day(2))


def test_provisioning_never_changes_an_existing_group(world: World) -> None:
    world.given_group()
    assert world.when(world.app.form_group, world.group_id, world.program_id, "x", "monthly",
                      "", day(1), provisional=True) == []  # fmt: skip


def test_a_provisional_group_cannot_move_to_another_program(world: World) -> None:
    provisional_group(world)
    other = uuid4()
    world.app.launch_program(other, "Other", "Org", "weekly", day(0))
    with pytest.raises(AlreadyExists):
        world.app.form_group(world.group_id, other, "Circle", "weekly", "", day(1))


def test_real_program_details_amend_a_provisional_program(world: World) -> None:
    provisional_group(world)
    recorded = world.when(
        world.app.launch_program,
        world.program_id,
        "Founders",
        "Acme",
        "monthly",
        day(1),
        lapse_after=2,
        on=world.program_id,
    )
    assert recorded == [("DetailsAmended", {"name": "Founders", "organisation": "Acme",
                                            "cadence": "monthly", "lapse_after": 2,
                                            "escalate_after_days": 3,
                                            "auto_create": False})]  # fmt: skip
    program = world.app.get_program(world.program_id)
    assert (program.name, program.lapse_after, program.provisional) == ("Founders", 2, False)
    with pytest.raises(AlreadyExists):
        world.app.launch_program(world.program_id, "Other", "Acme", "monthly", day(2))


def test_the_roster_role_replaces_a_provisional_peer_once(world: World) -> None:
    provisional_group(world)
    member = uuid4()
    world.app.join_member(world.group_id, member, "peer", day(0), provisional=True)
    assert world.when(world.app.join_member, world.group_id, member, "mentor", day(1)) == [
        ("MemberRoleChanged", {"member_id": member, "role": "mentor"})
    ]
    assert world.app.get_group(world.group_id).members[str(member)] == "mentor"
    with pytest.raises(AlreadyAMember):
        world.app.join_member(world.group_id, member, "facilitator", day(2))


def test_a_roster_member_keeps_their_role_against_a_different_join(world: World) -> None:
    member = world.given_group().members[0]
    with pytest.raises(AlreadyAMember):
        world.app.join_member(world.group_id, member, "mentor", day(1))
    assert world.when(world.app.join_member, world.group_id, member, "mentor", day(1),
                      provisional=True) == []  # fmt: skip


def test_version_1_creation_events_load_as_real_details(world: World) -> None:
    encode = world.app.mapper.transcoder.encode
    program, group, member = uuid4(), uuid4(), uuid4()
    world.app.recorder.insert_events([
        StoredEvent(program, 1, get_topic(Program.Launched), encode({
            "timestamp": day(0), "originator_topic": get_topic(Program), "name": "P",
            "organisation": "O", "cadence": "weekly", "lapse_after": 3,
            "escalate_after_days": 3})),
        StoredEvent(group, 1, get_topic(Group.Formed), encode({
            "timestamp": day(0), "originator_topic": get_topic(Group), "program_id": program,
            "name": "G", "cadence": "weekly", "goal": "", "coordinator_id": None})),
        StoredEvent(group, 2, get_topic(Group.MemberJoined), encode({
            "timestamp": day(0), "member_id": member, "role": "peer"})),
    ])  # fmt: skip
    loaded = world.app.get_group(group)
    assert (loaded.provisional, loaded.provisional_members) == (False, [])
    assert world.app.get_program(program).provisional is False
    with pytest.raises(AlreadyAMember):
        world.app.join_member(group, member, "mentor", day(1))


def test_a_version_1_group_snapshot_loads_with_no_provisional_details(world: World) -> None:
    world.given_group()
    snapshot = Group.Snapshot.take(world.app.get_group(world.group_id))
    for key in ("provisional", "provisional_members", "class_version"):
        snapshot.state.pop(key)
    restored = snapshot.mutate(None)
    assert (restored.provisional, restored.provisional_members) == (False, [])
    assert len(restored.members) == 3
