"""Schema migrations (decision 0018): ``peerpulse db upgrade`` makes the alert, token,
vault and event stores from nothing (the event tables exactly as eventsourcing makes them),
adopts the stores release 0.1.0 made without losing a row (events and ingest positions
too), does nothing the second time, and two upgrades at once both succeed."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from api.auth.store import TokenStore
from consumers.alerts.sql import Database
from consumers.alerts.store import AlertStore
from consumers.ingest.positions import next_offsets
from infra.migrations import runner
from infra.migrations.catalogue import EVENT_TABLES_POSTGRES, EVENT_TABLES_SQLITE, STORES
from infra.settings import Settings
from infra.sql import SETUP_LOCK, connect, postgres
from infra.vault import build_vault
from peerpulse.build import build
from tests.conftest import PG_DSN, _pg_connect
from tests.integration.migration_kit import (
    ALERT_ID,
    INGEST_TOPIC,
    MEMBER,
    NAME,
    fill_like_the_release,
    fill_the_event_store_like_the_release,
    make_release_store,
    peerpulse_db,
    run_db,
    schema_of,
    version_rows,
)

HEADS = sorted(runner.head(s) for s in STORES)
NEW_SINCE_RELEASE = ("alert_outbox_alert", ("alert_id",), False)  # alerts_0002
NEW_COLUMNS = {  # alerts_0003: what the coordinator was last told of each alert
    "alert_alerts": [("told_kind", "TEXT", True, None), ("told_gravity", "INTEGER", True, None)],
    "api_tokens": [("coordinator", "TEXT", True, None)],  # auth_0003: coordinator-bound tokens
    "alert_outbox": [  # alerts_0005: a router's claim on the notices it sends
        ("claimed_by", "TEXT", True, None),
        ("claimed_until", "TEXT", True, None),
    ],
}
NEW_TABLES = {  # alerts_0004: the action links' shared secret and their used nonces
    "alert_link_keys": "CREATE TABLE alert_link_keys (name TEXT PRIMARY KEY, "
    "secret TEXT NOT NULL, created_at TEXT NOT NULL)",
    "alert_link_uses": "CREATE TABLE alert_link_uses (nonce TEXT PRIMARY KEY, "
    "alert_id TEXT NOT NULL, action TEXT NOT NULL, recipient TEXT NOT NULL, "
    "used_at TEXT NOT NULL)",
    # events_0002: the watermark the ingest processes dividing a topic share (decision 0024)
    "ingest_watermarks": "CREATE TABLE ingest_watermarks (topic TEXT NOT NULL, "
    "partition INTEGER NOT NULL, epoch BIGINT NOT NULL, lagging BOOLEAN NOT NULL, "
    "applied_until TEXT, seen TEXT, updated_at TEXT NOT NULL, owner_pid INTEGER, "
    "owner_host TEXT, PRIMARY KEY (topic, partition))",
}


def _add_columns_since_release(settings: Settings) -> None:
    """The release's tables as the revisions since have changed them (``NEW_COLUMNS``)."""
    for table, columns in NEW_COLUMNS.items():
        (store,) = [s for s in STORES if table in s.tables]
        conn = connect(settings, settings.data_dir / store.sqlite_file)
        for name, kind, _, _ in columns:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
        conn.close()
    for table, create in NEW_TABLES.items():
        (store,) = [s for s in STORES if table in s.tables]
        conn = connect(settings, settings.data_dir / store.sqlite_file)
        conn.execute(create)
        conn.close()


@pytest.fixture
def release_settings(request, tmp_path, store_settings: Settings):
    """A second, separate store of the same backend, for the release's own tables."""
    if store_settings.store == "sqlite":
        yield Settings(_env_file=None, data_dir=tmp_path / "release", store="sqlite")
        return
    schema = f"t_rel_{store_settings.postgres_schema[2:]}"
    yield Settings(_env_file=None, data_dir=tmp_path / "release", store="postgres",
                   postgres_dsn=PG_DSN, postgres_schema=schema)  # fmt: skip
    conn = _pg_connect()
    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    conn.close()


def test_upgrade_from_empty_makes_the_release_tables_plus_the_revisions_since(
    store_settings: Settings, release_settings: Settings
):
    done = run_db(store_settings, "upgrade")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("upgraded from empty to") == len(STORES)
    assert version_rows(store_settings) == HEADS

    make_release_store(release_settings)
    _add_columns_since_release(release_settings)
    expected = schema_of(release_settings)
    expected["alert_outbox"]["indexes"] = sorted(
        [*expected["alert_outbox"]["indexes"], NEW_SINCE_RELEASE]
    )
    event_tables = (
        EVENT_TABLES_SQLITE if store_settings.store == "sqlite" else EVENT_TABLES_POSTGRES
    )
    assert set(event_tables) <= set(expected)  # made by eventsourcing itself, as 0.1.0 did
    assert set(expected) == {t for s in STORES for t in s.tables} - (
        set(EVENT_TABLES_POSTGRES + EVENT_TABLES_SQLITE) - set(event_tables)
    )
    assert schema_of(store_settings) == expected  # events_0001: the library's own tables


def test_an_event_store_release_0_1_0_made_keeps_its_events_and_ingest_positions(
    store_settings: Settings,
):
    make_release_store(store_settings)
    fill_like_the_release(store_settings)
    group, notifications = fill_the_event_store_like_the_release(store_settings)
    before = schema_of(store_settings)

    done = run_db(store_settings, "upgrade")

    assert done.returncode == 0, done.stderr
    assert "events: adopted (made before migrations; stamped events_0001)" in done.stdout
    assert version_rows(store_settings) == HEADS
    after = schema_of(store_settings)
    event_tables = (
        EVENT_TABLES_SQLITE if store_settings.store == "sqlite" else EVENT_TABLES_POSTGRES
    )
    assert {t: after[t] for t in event_tables} == {t: before[t] for t in event_tables}
    again = run_db(store_settings, "upgrade")
    assert "events: at events_0002 (head), nothing to do" in again.stdout
    parts = build(store_settings)  # what every service opens: migrated, then read
    try:
        app = parts.app
        assert app.recorder.max_notification_id() == notifications
        assert len(app.get_group(group).members) == 2
        assert next_offsets(app, INGEST_TOPIC, [0, 1]) == {0: 42, 1: 0}
        assert parts.ingest_positions(INGEST_TOPIC, [0]) == {0: 42}
    finally:
        parts.close()


def test_a_store_release_0_1_0_made_keeps_every_row_through_db_upgrade(store_settings: Settings):
    make_release_store(store_settings)
    secret, sealed = fill_like_the_release(store_settings)
    before = schema_of(store_settings)

    done = run_db(store_settings, "upgrade")

    assert done.returncode == 0, done.stderr
    assert done.stdout.count("adopted (made before migrations") == len(STORES)
    assert "stamped auth_0002" in done.stdout  # release 0.1.0's tokens already expire
    assert version_rows(store_settings) == HEADS
    after = schema_of(store_settings)
    assert NEW_SINCE_RELEASE in after["alert_outbox"]["indexes"]
    assert {t: v["columns"] for t, v in after.items() if t not in NEW_TABLES} == {
        t: v["columns"] + NEW_COLUMNS.get(t, []) for t, v in before.items()
    }
    assert set(after) - set(before) == set(NEW_TABLES)
    alert = AlertStore(Database(store_settings)).get(ALERT_ID)
    assert (alert.status, alert.acknowledged_by, alert.ack_comment) == (
        "acknowledged", "coord-1", "on it",
    )  # fmt: skip
    history = AlertStore(Database(store_settings)).history(ALERT_ID)
    assert [(e.event, e.by) for e in history] == [("raised", "router"), ("acknowledged", "coord-1")]
    token = TokenStore(store_settings).authenticate(secret)
    assert token is not None and token.name == "ops-bot"
    assert token.expires_at == datetime(2099, 1, 30, tzinfo=UTC)  # kept, not re-dated
    assert token.coordinator is None  # auth_0003: a token from before stays unbound
    assert build_vault(store_settings).unseal(MEMBER, sealed) == NAME


def test_upgrading_twice_changes_nothing(store_settings: Settings):
    assert run_db(store_settings, "upgrade").returncode == 0
    schema, versions = schema_of(store_settings), version_rows(store_settings)

    again = run_db(store_settings, "upgrade")

    assert again.returncode == 0, again.stderr
    assert again.stdout.count("nothing to do") == len(STORES)
    assert (schema_of(store_settings), version_rows(store_settings)) == (schema, versions)
    current = run_db(store_settings, "current", "--check")
    assert current.returncode == 0
    assert current.stdout.count("(head)") == len(STORES)


def test_db_current_check_fails_while_a_store_is_behind(sqlite_settings: Settings):
    make_release_store(sqlite_settings)  # tables, no version: nothing recorded yet
    behind = run_db(sqlite_settings, "current", "--check")
    assert behind.returncode == 3
    assert "alerts: not created yet (newest is alerts_0005" in behind.stdout
    assert run_db(sqlite_settings, "current").returncode == 0  # without --check: just shows


@contextmanager
def upgrades_held_back(settings: Settings):
    """Hold what an upgrade must take first: PostgreSQL's setup lock for the schema, or
    SQLite's write lock on every store file. Yields a count of upgrades waiting on it."""
    if settings.store == "postgres":
        conn = postgres(settings, autocommit=True)
        schema = settings.postgres_schema
        conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (SETUP_LOCK, schema))

        def waiting() -> int:  # ours only: other tests may wait on other schemas' locks
            return conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND classid = %s AND objsubid = 2 "
                "AND objid::bigint = (hashtext(%s)::bigint + 4294967296) %% 4294967296",
                (SETUP_LOCK, schema),
            ).fetchone()[0]

        yield waiting
        conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (SETUP_LOCK, schema))
        conn.close()
        return
    settings.data_dir.mkdir(parents=True)
    held = []
    for s in STORES:
        conn = sqlite3.connect(settings.data_dir / s.sqlite_file, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        held.append(conn)
    yield None
    for conn in held:
        conn.execute("COMMIT")
        conn.close()


def test_two_upgrades_at_once_both_succeed_and_upgrade_once(store_settings: Settings):
    import time

    with upgrades_held_back(store_settings) as waiting:
        procs = [peerpulse_db(store_settings, "upgrade") for _ in range(2)]
        deadline = time.monotonic() + 60
        while waiting is not None and waiting() < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        if waiting is None:
            time.sleep(3)  # both are inside SQLite's busy wait (30 s) by now
        else:
            assert waiting() == 2, "both upgrades should be waiting on the setup lock"
        assert [p.poll() for p in procs] == [None, None]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    said = "".join(out for out, _ in outputs)
    assert said.count("upgraded from empty to") == len(STORES)  # each store once, by one
    assert said.count("nothing to do") == len(STORES)
    assert version_rows(store_settings) == HEADS


def test_a_store_from_a_newer_release_is_refused_in_one_line(sqlite_settings: Settings):
    assert run_db(sqlite_settings, "upgrade").returncode == 0
    with sqlite3.connect(sqlite_settings.data_dir / "alerts.sqlite") as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'alerts_9999'")

    refused = run_db(sqlite_settings, "upgrade")

    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert "revision 'alerts_9999', which this release does not know" in refused.stderr


@pytest.mark.parametrize("action", ["upgrade", "current"])
def test_an_unreachable_store_is_one_line_and_a_failure(tmp_path, action):
    settings = Settings(_env_file=None, data_dir=tmp_path / "pp", store="postgres",
                        postgres_dsn="postgresql://postgres@127.0.0.1:9/none")  # fmt: skip
    failed = run_db(settings, action)
    assert failed.returncode == 2
    assert failed.stderr.count("\n") == 1 and "Traceback" not in failed.stderr
    assert "PostgreSQL at 127.0.0.1:9/none is not reachable" in failed.stderr


def test_opening_each_store_brings_it_to_head_once_per_process(store_settings: Settings):
    """What every service does when it starts: the store it opens is at head."""
    make_release_store(store_settings)
    secret, _ = fill_like_the_release(store_settings)
    assert TokenStore(store_settings).authenticate(secret) is not None
    assert AlertStore(Database(store_settings)).get(ALERT_ID) is not None
    build_vault(store_settings).destroy(MEMBER)
    parts = build(store_settings)
    assert parts.app.recorder.max_notification_id() is None  # the event store, opened
    parts.close()
    assert version_rows(store_settings) == HEADS
    assert [r for _, r, _ in runner.current(store_settings)] == [runner.head(s) for s in STORES]


def test_a_store_file_removed_while_the_process_runs_is_made_again(sqlite_settings: Settings):
    AlertStore(Database(sqlite_settings)).list()
    (sqlite_settings.data_dir / "alerts.sqlite").unlink()
    assert AlertStore(Database(sqlite_settings)).list() == []


def test_the_event_tables_were_checked_against_the_pinned_eventsourcing():
    """``events_0001`` runs the installed library's DDL: a new eventsourcing version must be
    checked for table changes (and get a revision if any) before it is pinned."""
    from importlib.metadata import version

    from infra.migrations.catalogue import EVENTS_DDL_CHECKED_WITH

    pinned = version("eventsourcing")
    assert pinned == EVENTS_DDL_CHECKED_WITH, (
        f"eventsourcing {pinned} is installed but the events revisions were checked against "
        f"{EVENTS_DDL_CHECKED_WITH}: see decision 0018, point 7"
    )
