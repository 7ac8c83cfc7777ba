"""The event store on real SQLite and PostgreSQL: round trips, batches, upcasting, shredding."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.utils import get_topic

from domain.group import Group
from infra.settings import Settings
from peerpulse.build import Parts, build

T0 = datetime(2025, 3, 3, 18, 0, tzinfo=UTC)


@pytest.fixture
def container(store_settings: Settings) -> Iterator[Parts]:
    built = build(store_settings)
    try:
        yield built
    finally:
        built.close()


def formed_group(container: Parts, members: int = 3) -> tuple[UUID, list[UUID]]:
    app = container.app
    program, group = uuid4(), uuid4()
    app.launch_program(program, "Founders", "Acme", "weekly", T0, lapse_after=2)
    app.form_group(group, program, "Circle", "weekly", "ship", T0)
    people = [uuid4() for _ in range(members)]
    for person in people:
        app.join_member(group, person, "peer", T0)
    return group, people


def test_a_group_is_recorded_and_reloaded_by_a_fresh_app(store_settings: Settings) -> None:
    first = build(store_settings)
    group, (a, b, c) = formed_group(first)
    session = uuid4()
    first.app.hold_session(group, session, T0, present=[a, b], absent=[c])
    first.app.hold_session(group, uuid4(), T0 + timedelta(7), present=[a, b], absent=[c])
    first.close()

    second = build(store_settings)
    try:
        loaded = second.app.get_group(group)
        assert loaded.sessions[str(session)]["attendance"] == {
            str(a): "present",
            str(b): "present",
            str(c): "absent",
        }
        assert loaded.lapsed == [str(c)]
        assert loaded.version == 7
    finally:
        second.close()


def test_a_batch_records_events_and_tracking_together(container: Parts) -> None:
    app = container.app
    group, (a, b, _) = formed_group(container)
    before = app.recorder.max_notification_id()
    with app.batch(tracking=Tracking("ingest", 41)):
        app.hold_session(group, uuid4(), T0, present=[a])
        app.mark_attendance(group, uuid4(), b, "present", T0 + timedelta(7))
        assert app.recorder.max_notification_id() == before
    assert app.recorder.max_notification_id() == before + 2
    assert app.max_tracking_position("ingest") == 41
    assert app.get_group(group).version == 6


def test_a_failing_batch_records_neither_events_nor_tracking(container: Parts) -> None:
    app = container.app
    group, (a, _, _) = formed_group(container)
    app.max_tracking_position("ingest")
    before = app.recorder.max_notification_id()
    with (
        pytest.raises(RuntimeError, match="broker went away"),
        app.batch(tracking=Tracking("ingest", 7)),
    ):
        app.hold_session(group, uuid4(), T0, present=[a])
        raise RuntimeError("broker went away")
    assert app.recorder.max_notification_id() == before
    assert app.max_tracking_position("ingest") is None
    assert app.get_group(group).sessions == {}


def test_tracking_alone_is_recorded_for_a_batch_without_events(container: Parts) -> None:
    with container.app.batch(tracking=Tracking("ingest", 3)):
        pass
    assert container.app.max_tracking_position("ingest") == 3


def test_a_v1_session_held_still_loads_as_attendance_taken(container: Parts) -> None:
    app = container.app
    group, (a, _, c) = formed_group(container)
    session = uuid4()
    v1_state = app.mapper.transcoder.encode(
        {
            "timestamp": T0,
            "session_id": session,
            "present": [a],
            "absent": [c],
            "excused": [],
        }
    )
    assert b"attendance_taken" not in v1_state and b"class_version" not in v1_state
    app.recorder.insert_events(
        [
            StoredEvent(
                originator_id=group,
                originator_version=5,
                topic=get_topic(Group.SessionHeld),
                state=v1_state,
            )
        ]
    )

    held = list(app.events.get(group, gt=4))[0]
    assert held.attendance_taken is True
    loaded = app.get_group(group)
    assert loaded.sessions[str(session)]["attendance"] == {str(a): "present", str(c): "absent"}


def test_snapshot_plus_tail_loads_the_same_group_as_the_full_history(
    store_settings: Settings,
) -> None:
    small = build(store_settings.model_copy(update={"snapshot_interval": 4}))
    try:
        group, (a, b, c) = formed_group(small)
        for week in range(6):
            small.app.hold_session(
                group, uuid4(), T0 + timedelta(7 * week), present=[a, b], absent=[c]
            )
        assert list(small.app.snapshots.get(group))
        from_snapshot = small.app.repository.get(group)
        full = small.app.repository.get(group, version=from_snapshot.version)
        assert from_snapshot == full
    finally:
        small.close()


def store_bytes(settings: Settings, skip: tuple[str, ...] = ()) -> bytes:
    """Every byte of the event store: the SQLite files and rows, or every PG row in the schema."""
    if settings.store == "sqlite":
        files = sorted(settings.data_dir.glob("eventstore.sqlite*"))
        chunks = [f.read_bytes() for f in files]
        with sqlite3.connect(settings.sqlite_path) as conn:
            query = "SELECT name FROM sqlite_master WHERE type='table'"
            for (table,) in conn.execute(query).fetchall():
                for row in conn.execute(f'SELECT * FROM "{table}"'):
                    chunks.extend(_as_bytes(value) for value in row)
        return b"\n".join(chunks)
    import psycopg

    chunks = []
    with psycopg.connect(settings.postgres_dsn) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (settings.postgres_schema,),
            )
        ]
        assert tables
        for table in (t for t in tables if t not in skip):
            for row in conn.execute(f'SELECT * FROM "{settings.postgres_schema}"."{table}"'):
                chunks.extend(_as_bytes(value) for value in row)
    return b"\n".join(chunks)


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def test_forgotten_member_leaves_no_readable_personal_data(
    container: Parts, store_settings: Settings
) -> None:
    app = container.app
    group, (a, _, _) = formed_group(container)
    app.register_member(a, "peer-1", "Zelda Quintanilla", "zelda.q@example.org", T0)
    app.hold_session(group, uuid4(), T0, present=[a])
    assert app.member_profile(a).display_name == "Zelda Quintanilla"

    app.forget_member(a, T0 + timedelta(1))

    everything = store_bytes(store_settings)
    assert b"peer-1" in everything  # the scan does see the member's events
    for secret in ("Zelda Quintanilla", "zelda.q@example.org"):
        assert secret.encode() not in everything
        assert secret.encode("utf-16-le") not in everything
    fresh = build(store_settings)
    try:
        profile = fresh.app.member_profile(a)
        assert (profile.display_name, profile.contact, profile.forgotten) == (None, None, True)
        assert fresh.app.get_group(group).members[str(a)] == "peer"
    finally:
        fresh.close()


def test_the_vault_keeps_keys_apart_from_the_event_tables(
    container: Parts, store_settings: Settings
) -> None:
    app = container.app
    member = uuid4()
    app.register_member(member, "p", "Name", "contact", T0)
    key = container.vault._key(member)
    assert key is not None and len(key) == 32
    assert key not in store_bytes(store_settings, skip=("member_keys",))
    app.forget_member(member, T0)
    assert container.vault._key(member) is None
