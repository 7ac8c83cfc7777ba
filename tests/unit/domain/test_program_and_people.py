"""Programs, coordinators and members: what is recorded, and that personal data is sealed."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.errors import (
    AlreadyExists,
    InvalidCommand,
    MemberForgotten,
    NotACoordinator,
    UnknownMember,
)
from tests.unit.domain.conftest import FakeVault, World, day


def test_launching_a_program_records_its_policy_once(world: World) -> None:
    launch = (world.program_id, "Founders", "Acme", "weekly", day(0))
    assert world.when(world.app.launch_program, *launch, lapse_after=4, on=world.program_id) == [
        (
            "Launched",
            {
                "name": "Founders",
                "organisation": "Acme",
                "cadence": "weekly",
                "lapse_after": 4,
                "escalate_after_days": 3,
                "provisional": False,
                "auto_create": False,
            },
        )
    ]
    assert world.when(world.app.launch_program, *launch, lapse_after=4, on=world.program_id) == []
    with pytest.raises(AlreadyExists):
        world.app.launch_program(*launch, lapse_after=2)


def test_lapse_policy_must_be_positive_and_changes_only_when_different(world: World) -> None:
    world.given_group(lapse_after=3)
    with pytest.raises(InvalidCommand, match="lapse_after"):
        world.app.change_lapse_policy(world.program_id, 0, day(0))
    assert world.when(
        world.app.change_lapse_policy, world.program_id, 2, day(0), on=world.program_id
    ) == [("LapsePolicyChanged", {"lapse_after": 2})]
    assert (
        world.when(world.app.change_lapse_policy, world.program_id, 2, day(0), on=world.program_id)
        == []
    )


def test_assigning_a_coordinator_seals_name_and_contact(world: World, vault: FakeVault) -> None:
    world.given_group()
    coordinator = uuid4()
    assign = (
        world.program_id,
        coordinator,
        "Grace Hopper",
        "grace@example.org",
        "Europe/Oslo",
        "email",
        day(0),
    )
    recorded = world.when(world.app.assign_coordinator, *assign, on=world.program_id)
    assert [name for name, _ in recorded] == ["CoordinatorAssigned"]
    payload = recorded[0][1]
    assert "Grace Hopper" not in str(payload) and "grace@example.org" not in str(payload)
    assert payload["channel"] == "email" and payload["digest"] == "daily"
    assert world.when(world.app.assign_coordinator, *assign, on=world.program_id) == []
    contact = world.app.coordinator_contact(world.program_id, coordinator)
    assert (contact.name, contact.contact, contact.time_zone) == (
        "Grace Hopper",
        "grace@example.org",
        "Europe/Oslo",
    )


def test_bad_coordinator_channel_is_refused(world: World) -> None:
    world.given_group()
    with pytest.raises(InvalidCommand, match="'pigeon'"):
        world.app.assign_coordinator(world.program_id, uuid4(), "n", "c", "UTC", "pigeon", day(0))


def test_lead_coordinator_must_be_assigned_and_unassigning_clears_it(world: World) -> None:
    world.given_group()
    coordinator = uuid4()
    with pytest.raises(NotACoordinator, match=str(coordinator)):
        world.app.set_lead_coordinator(world.program_id, coordinator, day(0))
    world.app.assign_coordinator(world.program_id, coordinator, "n", "c", "UTC", "slack", day(0))
    assert world.when(
        world.app.set_lead_coordinator, world.program_id, coordinator, day(0), on=world.program_id
    ) == [("LeadCoordinatorSet", {"coordinator_id": coordinator})]
    assert world.when(
        world.app.unassign_coordinator, world.program_id, coordinator, day(1), on=world.program_id
    ) == [("CoordinatorUnassigned", {"coordinator_id": coordinator})]
    assert world.app.get_program(world.program_id).lead is None
    assert (
        world.when(
            world.app.unassign_coordinator,
            world.program_id,
            coordinator,
            day(1),
            on=world.program_id,
        )
        == []
    )


def test_registering_a_member_records_only_a_pseudonym_in_clear(world: World) -> None:
    member = uuid4()
    recorded = world.when(
        world.app.register_member,
        member,
        "peer-17",
        "Ada Lovelace",
        "ada@example.org",
        day(0),
        on=member,
    )
    assert [name for name, _ in recorded] == ["Registered"]
    assert recorded[0][1]["pseudonym"] == "peer-17"
    assert "Ada Lovelace" not in str(recorded) and "ada@example.org" not in str(recorded)
    profile = world.app.member_profile(member)
    assert (profile.display_name, profile.contact, profile.forgotten) == (
        "Ada Lovelace",
        "ada@example.org",
        False,
    )
    assert (
        world.when(
            world.app.register_member,
            member,
            "peer-17",
            "Ada Lovelace",
            "ada@example.org",
            day(1),
            on=member,
        )
        == []
    )
    with pytest.raises(AlreadyExists):
        world.app.register_member(member, "peer-17", "Ada King", "ada@example.org", day(1))


def test_forgetting_a_member_destroys_the_key_and_records_forgotten_once(
    world: World, vault: FakeVault
) -> None:
    member = uuid4()
    world.app.register_member(member, "peer-17", "Ada", "ada@example.org", day(0))
    assert world.when(world.app.forget_member, member, day(1), on=member) == [("Forgotten", {})]
    assert member not in vault.keys
    profile = world.app.member_profile(member)
    assert (profile.display_name, profile.contact, profile.forgotten) == (None, None, True)
    assert world.when(world.app.forget_member, member, day(2), on=member) == []
    with pytest.raises(MemberForgotten):
        world.app.register_member(member, "peer-17", "Ada", "ada@example.org", day(3))


def test_forgetting_an_unknown_member_names_it(world: World) -> None:
    member = uuid4()
    with pytest.raises(UnknownMember, match=str(member)) as err:
        world.app.forget_member(member, day(0))
    assert err.value.code == "unknown-member"
