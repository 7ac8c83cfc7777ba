"""A commitment recorded without its details (settled first, decision 0015) is amended."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.application import EngagementApp
from domain.errors import CommitmentConflict
from domain.group import Group
from tests.unit.domain.conftest import FakeVault, World, day


@pytest.mark.parametrize("settle", ["keep", "miss", "drop"])
def test_details_arriving_after_the_settlement_amend_it_and_keep_its_status(
    world: World, settle: str
) -> None:
    a = world.given_group().members[0]
    session, commitment = uuid4(), uuid4()
    world.hold(session, at=0, present=[a])
    world.app.make_commitment(world.group_id, commitment, a, day(8))
    getattr(world.app, f"{settle}_commitment")(world.group_id, commitment, day(8))
    recorded = world.when(
        world.app.make_commitment, world.group_id, commitment, a, day(9), session, day(7)
    )
    details = {"session_id": session, "due": day(7)}
    assert recorded == [
        ("CommitmentAmended", {"commitment_id": commitment, "member_id": a, **details})
    ]
    record = world.app.get_group(world.group_id).commitments[str(commitment)]
    status = {"keep": "kept", "miss": "missed", "drop": "dropped"}[settle]
    assert record == {"member_id": a, **details, "status": status}


def test_details_arriving_before_the_settlement_amend_it_and_it_can_still_be_kept(
    world: World,
) -> None:
    a = world.given_group().members[0]
    session, commitment = uuid4(), uuid4()
    world.app.make_commitment(world.group_id, commitment, a, day(0), due=day(7))
    assert world.names(
        world.when(
            world.app.make_commitment, world.group_id, commitment, a, day(1), session, day(7)
        )
    ) == ["CommitmentAmended"]
    world.app.keep_commitment(world.group_id, commitment, day(6))
    record = world.app.get_group(world.group_id).commitments[str(commitment)]
    assert record == {"member_id": a, "session_id": session, "due": day(7), "status": "kept"}


def test_an_identical_repeat_after_an_amendment_records_nothing(world: World) -> None:
    a = world.given_group().members[0]
    session, commitment = uuid4(), uuid4()
    world.app.make_commitment(world.group_id, commitment, a, day(0))
    world.app.keep_commitment(world.group_id, commitment, day(1))
    world.app.make_commitment(world.group_id, commitment, a, day(2), session, day(7))
    repeat = (world.group_id, commitment, a, day(3), session, day(7))
    assert world.when(world.app.make_commitment, *repeat) == []
    bare = (world.group_id, commitment, a, day(3))
    with pytest.raises(CommitmentConflict, match="already has session_id"):
        world.app.make_commitment(*bare)  # known details are never taken away


@pytest.mark.parametrize(
    ("field", "reason"),
    [
        ("due", "already has due"),
        ("session_id", "already has session_id"),
        ("member_id", "was made by member"),
    ],
)
def test_details_contradicting_the_recorded_ones_are_a_conflict(
    world: World, field: str, reason: str
) -> None:
    a, b, _ = world.given_group().members
    session, commitment = uuid4(), uuid4()
    world.app.make_commitment(world.group_id, commitment, a, day(0), session, day(7))
    made = {"member_id": a, "session_id": session, "due": day(7)}
    made[field] = {"due": day(14), "session_id": uuid4(), "member_id": b}[field]
    before = world.app.get_group(world.group_id).version
    with pytest.raises(CommitmentConflict, match=reason):
        world.app.make_commitment(world.group_id, commitment, now=day(1), **made)
    assert world.app.get_group(world.group_id).version == before


def test_another_member_cannot_claim_a_commitment_recorded_without_details(world: World) -> None:
    a, b, _ = world.given_group().members
    commitment = uuid4()
    world.app.make_commitment(world.group_id, commitment, a, day(0))
    world.app.keep_commitment(world.group_id, commitment, day(1))
    with pytest.raises(CommitmentConflict, match=f"made by member {a}, not {b}"):
        world.app.make_commitment(world.group_id, commitment, b, day(2), due=day(7))


def test_an_amended_commitment_loads_the_same_from_the_stored_events(vault: FakeVault) -> None:
    app = EngagementApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, vault=vault)
    world = World(app).given_group()
    a = world.members[0]
    session, commitment = uuid4(), uuid4()
    app.make_commitment(world.group_id, commitment, a, day(0))
    app.miss_commitment(world.group_id, commitment, day(1))
    app.make_commitment(world.group_id, commitment, a, day(2), session, day(7))
    stored = list(app.events.get(world.group_id))
    assert isinstance(stored[-1], Group.CommitmentAmended) and stored[-1].due == day(7)
    replayed = EngagementApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, vault=vault)
    for event in stored:
        replayed.events.put([event])
    loaded = replayed.repository.get(world.group_id)
    assert loaded == app.repository.get(world.group_id)
    assert loaded.commitments[str(commitment)] == {
        "member_id": a, "session_id": session, "due": day(7), "status": "missed"}  # fmt: skip
