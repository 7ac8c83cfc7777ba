"""The trusted aggregate cache of a single writer: no store reads, no stale writes."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.application import TRUSTED_SNAPSHOT_INTERVAL, EngagementApp
from domain.errors import ConcurrentModification
from domain.group import Group
from tests.unit.domain.conftest import FakeVault, World, day


def counting_loads(app: EngagementApp) -> list:
    loads: list = []
    original = app.repository.get

    def get(aggregate_id, *args, **kwargs):
        loads.append(aggregate_id)
        return original(aggregate_id, *args, **kwargs)

    app.repository.get = get
    return loads


def test_a_trusting_writer_loads_each_aggregate_from_the_store_once(world: World) -> None:
    a, b, _ = world.given_group().members
    world.app.trust_cache()
    loads = counting_loads(world.app)
    for week in range(3):
        with world.app.batch():
            world.app.hold_session(world.group_id, uuid4(), day(7 * week), present=[a, b])
    assert sorted(map(str, loads)) == sorted(map(str, {world.group_id, world.program_id}))
    assert len(world.app.get_group(world.group_id).sessions) == 3


def test_a_failed_batch_leaves_only_committed_state_in_the_trusted_cache(world: World) -> None:
    a, b, _ = world.given_group().members
    world.app.trust_cache()
    world.app.hold_session(world.group_id, uuid4(), day(0), present=[a])
    with pytest.raises(RuntimeError), world.app.batch():
        world.app.hold_session(world.group_id, uuid4(), day(7), present=[b])
        raise RuntimeError("crash before commit")
    assert len(world.app.get_group(world.group_id).sessions) == 1


def test_a_stale_trusted_write_conflicts_and_the_retry_sees_the_other_writer(tmp_path) -> None:
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "s.db")}
    ingest, other = EngagementApp(env=env, vault=FakeVault()), EngagementApp(env=env)
    world = World(ingest).given_group()
    a = world.members[0]
    ingest.trust_cache()
    ingest.get_group(world.group_id)
    other.hold_session(world.group_id, uuid4(), day(0), present=[a])
    with pytest.raises(ConcurrentModification):
        ingest.hold_session(world.group_id, uuid4(), day(7), present=[a])
    ingest.hold_session(world.group_id, uuid4(), day(7), present=[a])
    assert len(ingest.get_group(world.group_id).sessions) == 2


def test_a_trusting_writer_snapshots_groups_less_often(app: EngagementApp) -> None:
    app.trust_cache()
    assert app.snapshotting_intervals == {Group: TRUSTED_SNAPSHOT_INTERVAL}
    app.forget_cached()
    assert app.trusted is not None and app.trusted.get(uuid4()) is None


def test_forgetting_the_shared_aggregates_reloads_the_program_but_keeps_the_groups(
    world: World,
) -> None:
    """Several ingest processes (decision 0024): groups stay theirs, programs do not."""
    a, b, _ = world.given_group().members
    world.app.trust_cache()
    with world.app.batch():
        world.app.hold_session(world.group_id, uuid4(), day(0), present=[a, b])
    loads = counting_loads(world.app)
    world.app.forget_shared_cached()
    with world.app.batch():
        world.app.hold_session(world.group_id, uuid4(), day(7), present=[a, b])
    assert world.program_id in loads and world.group_id not in loads
