"""A coordinator's intervention is a fact on the group (decision 0019): recorded, guarded,
idempotent; ``merged`` dissolves the group and ``ended`` concludes it."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.errors import GroupClosed, InvalidCommand, NotACoordinator, UnknownGroup
from domain.group import INTERVENTION_KINDS, Group
from domain.intake import NamedGroup, NamedProgram
from infra.contract.followup import InterventionLogged
from tests.unit.domain.conftest import World, day


def with_coordinator(world: World) -> UUID:
    world.given_group()
    coordinator = uuid4()
    world.app.assign_coordinator(world.program_id, coordinator, "Dana", "dana@example.org",
                                 "UTC", "email", day(-30))  # fmt: skip
    return coordinator


def test_a_call_is_recorded_with_who_what_and_the_note(world: World) -> None:
    coordinator = with_coordinator(world)
    recorded = world.when(world.app.log_intervention, world.group_id, coordinator, "call", day(3),
                          note="spoke to the facilitator")  # fmt: skip
    assert recorded == [("InterventionLogged", {"coordinator_id": coordinator, "kind": "call",
                                                "note": "spoke to the facilitator",
                                                "merged_into": None})]  # fmt: skip
    assert world.app.get_group(world.group_id).closed is None


def test_the_same_intervention_again_changes_nothing(world: World) -> None:
    coordinator = with_coordinator(world)
    world.app.log_intervention(world.group_id, coordinator, "message", day(3))
    assert world.when(world.app.log_intervention, world.group_id, coordinator, "message",
                      day(3)) == []  # fmt: skip
    assert world.names(world.when(world.app.log_intervention, world.group_id, coordinator,
                                  "message", day(4))) == ["InterventionLogged"]  # fmt: skip


def test_ended_concludes_the_group_and_a_resend_is_harmless(world: World) -> None:
    coordinator = with_coordinator(world)
    recorded = world.when(world.app.log_intervention, world.group_id, coordinator, "ended", day(5))
    assert world.names(recorded) == ["InterventionLogged", "Concluded"]
    assert world.app.get_group(world.group_id).closed[0] == "concluded"
    assert world.when(world.app.log_intervention, world.group_id, coordinator, "ended",
                      day(5)) == []  # fmt: skip


def test_merged_names_the_other_group_and_dissolves_this_one(world: World) -> None:
    coordinator = with_coordinator(world)
    other = uuid4()
    world.app.form_group(other, world.program_id, "Circle B", "weekly", "", day(-20))
    recorded = world.when(world.app.log_intervention, world.group_id, coordinator, "merged",
                          day(6), merged_into=other)  # fmt: skip
    assert recorded[0] == ("InterventionLogged", {"coordinator_id": coordinator, "kind": "merged",
                                                  "note": "", "merged_into": other})  # fmt: skip
    assert recorded[1] == ("Dissolved", {"reason": f"merged into group {other}"})
    assert world.app.get_group(other).closed is None


def test_a_dissolved_group_refuses_an_intervention(world: World) -> None:
    coordinator = with_coordinator(world)
    world.app.dissolve_group(world.group_id, "cohort split", day(2))
    with pytest.raises(GroupClosed, match="is dissolved: cannot log a call intervention"):
        world.app.log_intervention(world.group_id, coordinator, "call", day(3))


@pytest.mark.parametrize(
    ("kind", "merged_into", "message"),
    [
        ("coffee", None, "intervention kind 'coffee' is not one of call, message, meeting"),
        ("merged", None, "merged_into names the other group"),
        ("call", uuid4(), "merged_into names the other group"),
    ],
)
def test_an_invalid_intervention_is_refused_with_a_clear_error(
    world: World, kind: str, merged_into: UUID | None, message: str
) -> None:
    coordinator = with_coordinator(world)
    with pytest.raises(InvalidCommand, match=message):
        world.app.log_intervention(world.group_id, coordinator, kind, day(3),
                                   merged_into=merged_into)  # fmt: skip
    assert world.when(world.app.resume_group, world.group_id, day(3)) == []  # nothing recorded


def test_a_group_cannot_be_merged_into_itself_or_into_another_program(world: World) -> None:
    coordinator = with_coordinator(world)
    with pytest.raises(InvalidCommand, match="cannot be merged into itself"):
        world.app.log_intervention(world.group_id, coordinator, "merged", day(3),
                                   merged_into=world.group_id)  # fmt: skip
    elsewhere, group = uuid4(), uuid4()
    world.app.launch_program(elsewhere, "Other", "Acme", "weekly", day(-30))
    world.app.form_group(group, elsewhere, "Far", "weekly", "", day(-29))
    with pytest.raises(InvalidCommand, match="of another program"):
        world.app.log_intervention(world.group_id, coordinator, "merged", day(3),
                                   merged_into=group)  # fmt: skip


def test_only_a_coordinator_of_the_program_can_intervene(world: World) -> None:
    with_coordinator(world)
    with pytest.raises(NotACoordinator):
        world.app.log_intervention(world.group_id, uuid4(), "call", day(3))


def test_an_intervention_on_an_unknown_group_names_the_senders_id_and_provisions_nothing(
    world: World,
) -> None:
    coordinator = with_coordinator(world)
    program = NamedProgram(world.program_id, "prog", "lms.example")
    ghost = NamedGroup(uuid4(), "circle-404", program)
    with pytest.raises(UnknownGroup, match="'circle-404'"):
        world.app.intake_intervention(ghost, coordinator, "call", day(3))
    known = NamedGroup(world.group_id, "circle-1", program)
    with pytest.raises(UnknownGroup, match="'circle-404'"):
        world.app.intake_intervention(known, coordinator, "merged", day(3), merged_into=ghost)
    with pytest.raises(UnknownGroup):
        world.app.get_group(ghost.id)
    assert world.app.get_group(world.group_id).interventions == []


def test_a_snapshot_from_before_interventions_loads_with_none(world: World) -> None:
    coordinator = with_coordinator(world)
    snapshot = Group.Snapshot.take(world.app.get_group(world.group_id))
    snapshot.state["class_version"] = 3
    snapshot.state.pop("interventions")
    restored = snapshot.mutate(None)
    assert restored.interventions == []
    restored.log_intervention(coordinator, "call", day(3))
    assert restored.interventions == [[coordinator, "call", day(3)]]


def test_the_wire_contract_offers_exactly_the_domain_kinds() -> None:
    assert InterventionLogged.model_fields["kind"].annotation.__args__ == INTERVENTION_KINDS


def test_a_stored_snapshot_keeps_the_interventions_so_a_resend_stays_harmless(
    world: World,
) -> None:
    coordinator = with_coordinator(world)
    world.app.log_intervention(world.group_id, coordinator, "meeting", day(3))
    mapper = world.app.mapper
    taken = Group.Snapshot.take(world.app.get_group(world.group_id))
    restored = mapper.to_domain_event(mapper.to_stored_event(taken)).mutate(None)
    assert restored.interventions == [[coordinator, "meeting", day(3)]]
    restored.log_intervention(coordinator, "meeting", day(3))
    assert restored.collect_events() == []
