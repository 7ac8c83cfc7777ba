"""Batches (one transaction for many commands), conflicts, snapshots and the v1 upcaster."""

from __future__ import annotations

from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.utils import get_topic

from domain.application import EngagementApp
from domain.errors import ConcurrentModification, DomainError, NotAMember
from domain.group import Group
from tests.unit.domain.conftest import FakeVault, World, day


def test_commands_in_a_batch_share_aggregates_and_record_nothing_until_the_end(
    world: World,
) -> None:
    a, b, _ = world.given_group().members
    app = world.app
    before = app.recorder.max_notification_id()
    with app.batch(tracking=Tracking("ingest", 10)) as uow:
        app.hold_session(world.group_id, uuid4(), day(0), present=[a])
        app.hold_session(world.group_id, uuid4(), day(7), present=[b])
        assert app.recorder.max_notification_id() == before
        assert len(uow.aggregates[world.group_id].pending_events) == 2
    assert app.recorder.max_notification_id() == before + 2
    assert app.max_tracking_position("ingest") == 10


def test_a_domain_error_inside_a_batch_can_be_caught_and_the_rest_still_recorded(
    world: World,
) -> None:
    a, _, _ = world.given_group().members
    app = world.app
    with app.batch(tracking=Tracking("ingest", 2)):
        with pytest.raises(NotAMember):
            app.hold_session(world.group_id, uuid4(), day(0), present=[uuid4()])
        app.hold_session(world.group_id, uuid4(), day(1), present=[a])
    assert len(app.get_group(world.group_id).sessions) == 1


def test_batches_do_not_nest(world: World) -> None:
    with world.app.batch(), pytest.raises(RuntimeError, match="do not nest"), world.app.batch():
        pass


def test_a_concurrent_writer_surfaces_as_a_retryable_error(vault: FakeVault) -> None:
    app = EngagementApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, vault=vault)
    world = World(app).given_group()
    a = world.members[0]
    with pytest.raises(ConcurrentModification) as err, app.batch():
        app.hold_session(world.group_id, uuid4(), day(0), present=[a])
        app.hold_session(world.group_id, uuid4(), day(1), present=[a])
        other = app.repository.get(world.group_id)  # another writer loads the same version
        other.mentor_check_in(uuid4(), day(2))
        app.save(other)
    assert err.value.retryable and isinstance(err.value, DomainError)
    app.hold_session(world.group_id, uuid4(), day(0), present=[a])  # the retry succeeds


def test_an_ingest_position_cannot_be_recorded_twice(world: World) -> None:
    with world.app.batch(tracking=Tracking("ingest", 5)):
        pass
    with pytest.raises(ConcurrentModification), world.app.batch(tracking=Tracking("ingest", 5)):
        pass


def test_snapshot_plus_tail_equals_the_full_history(vault: FakeVault) -> None:
    app = EngagementApp(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, vault=vault, snapshot_interval=5
    )
    world = World(app).given_group(lapse_after=2)
    a, b, c = world.members
    world.app.pause_group(world.group_id, day(10), "exams", day(8))
    for week in range(7):
        world.hold(at=7 * week, present=[a], absent=[c], excused=[b])
    world.app.make_commitment(world.group_id, uuid4(), a, day(50), due=day(57))
    snapshots = list(app.snapshots.get(world.group_id))
    assert [s.originator_version for s in snapshots] == [5, 10]
    with_snapshot = app.repository.get(world.group_id)
    replayed = EngagementApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, vault=vault)
    for event in app.events.get(world.group_id):
        replayed.events.put([event])
    full = replayed.repository.get(world.group_id)
    assert with_snapshot == full
    assert with_snapshot.version > snapshots[-1].originator_version


def test_snapshot_interval_comes_from_the_env_when_not_given(vault: FakeVault) -> None:
    app = EngagementApp(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo", "GROUP_SNAPSHOT_INTERVAL": "7"},
        vault=vault,
    )
    assert app.snapshotting_intervals == {Group: 7}


def test_a_v1_session_held_is_upcast_with_attendance_taken(world: World) -> None:
    a, _, c = world.given_group().members
    session = uuid4()
    state = world.app.mapper.transcoder.encode(
        {"timestamp": day(0), "session_id": session, "present": [a], "absent": [c], "excused": []}
    )
    world.app.recorder.insert_events(
        [
            StoredEvent(
                originator_id=world.group_id,
                originator_version=5,
                topic=get_topic(Group.SessionHeld),
                state=state,
            )
        ]
    )
    group = world.app.get_group(world.group_id)
    assert group.sessions[str(session)]["attendance_taken"] is True
    assert group.version == 5
    world.hold(session, at=0, present=[a], absent=[c])  # identical repeat of the v1 fact
    assert world.app.get_group(world.group_id).version == 5
    assert Group.SessionHeld.class_version == 2


def test_a_failed_batch_leaves_the_cached_aggregates_untouched(world: World) -> None:
    a, b, c = world.given_group(lapse_after=1).members
    app = world.app
    commitment = uuid4()
    app.make_commitment(world.group_id, commitment, a, day(0))
    app.pause_group(world.group_id, day(30), "exams", day(0))
    before = app.get_group(world.group_id)
    with pytest.raises(RuntimeError), app.batch():
        app.hold_session(world.group_id, uuid4(), day(1), present=[a], absent=[c])
        app.mark_attendance(world.group_id, uuid4(), b, "absent", day(40))
        app.keep_commitment(world.group_id, commitment, day(2))
        app.resume_group(world.group_id, day(3))
        app.leave_member(world.group_id, a, day(4))
        raise RuntimeError("crash before commit")
    after = app.get_group(world.group_id)
    assert after == before
    assert after.sessions == {} and after.commitments[str(commitment)]["status"] == "made"
    assert after.pauses == [[day(0), day(30)]] and str(a) in after.members
