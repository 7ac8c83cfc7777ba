"""Helpers for the migration tests: a store as release 0.1.0 left it (from the captured DDL
in ``tests/fixtures/stores``), rows written the way that release wrote them, the schema as
SQLAlchemy's inspector sees it, and ``peerpulse db`` run as its own process."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import sqlalchemy as sa

from api.auth.tokens import hash_secret, new_secret, token_id_of
from consumers.ingest.positions import tracking_name
from domain.application import EngagementApp
from infra.eventstore import eventstore_env
from infra.migrations.catalogue import STORES, VERSION_TABLE
from infra.settings import Settings
from infra.sql import connect, is_postgres, placeholders
from infra.vault import MemoryVault

FIXTURES = Path(__file__).parents[1] / "fixtures" / "stores"
ROOT = Path(__file__).parents[2]
ALERT_ID = "a-0001"
MEMBER = UUID("00000000-0000-4000-8000-00000000a0da")
NAME = "Ada Lovelace"
INGEST_TOPIC = "peerpulse.attendance.v1"
T0 = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)


def release_statements(backend: str) -> dict[str, list[str]]:
    """``{sqlite file stem: [statement, …]}`` from the captured release 0.1.0 DDL."""
    text = (FIXTURES / f"release_0_1_0.{backend}.sql").read_text()
    out: dict[str, list[str]] = {}
    for part in re.split(r"^-- store: (\w+)\n", text, flags=re.M)[1:]:
        if part in {"alerts", "api", "vault"}:
            current = out.setdefault(part, [])
            continue
        current += [s.strip() for s in part.split(";") if s.strip()]
    return out


def make_release_store(settings: Settings) -> None:
    """The alert, token and vault tables exactly as release 0.1.0 created them (no
    ``alembic_version``), and the event store as that release made it: by the pinned
    eventsourcing's recorders, when the app first opened it (:func:`release_event_app`)."""
    backend = "postgres" if is_postgres(settings) else "sqlite"
    for stem, statements in release_statements(backend).items():
        conn = connect(settings, settings.data_dir / f"{stem}.sqlite")
        for statement in statements:
            conn.execute(statement)
        conn.close()
    release_event_app(settings).close()


def release_event_app(settings: Settings) -> EngagementApp:
    """The EngagementApp opened the way release 0.1.0 opened it: on the store's env, with
    eventsourcing creating its tables itself (no migration)."""
    return EngagementApp(env=eventstore_env(settings))


def fill_the_event_store_like_the_release(settings: Settings) -> tuple[UUID, int]:
    """A program with a group of two through the app, and ingest's position on partition 0
    of ``INGEST_TOPIC`` (offset 41: resume at 42). Returns (group id, notification count)."""
    app = release_event_app(settings)
    program, group = uuid4(), uuid4()
    app.launch_program(program, "Founders", "Acme", "weekly", T0, lapse_after=2)
    app.form_group(group, program, "Circle", "weekly", "ship", T0)
    for person in (uuid4(), uuid4()):
        app.join_member(group, person, "peer", T0)
    app.record_position(tracking_name(INGEST_TOPIC, 0), 41)
    count = app.recorder.max_notification_id()
    app.close()
    return group, count


def fill_like_the_release(settings: Settings) -> tuple[str, str]:
    """An acknowledged alert with its log and a notice, a token, a member's key — written
    with plain SQL as release 0.1.0 wrote them. Returns (token secret, sealed name)."""
    pg = is_postgres(settings)

    def run(stem: str, sql: str, params: tuple) -> None:
        conn = connect(settings, settings.data_dir / f"{stem}.sqlite")
        conn.execute(placeholders(sql, pg), params)
        conn.close()

    t = "2026-11-02T09:00:00.000000+00:00"
    group, program = str(uuid4()), str(uuid4())
    run("alerts", "INSERT INTO alert_alerts VALUES (" + ", ".join("?" * 20) + ")",
        (ALERT_ID, f"health:{group}", "group-at-risk", program, group, None, "acknowledged",
         t, t, 2, '{"level": "at_risk"}', "coord-1", None, t, None, None, None, "coord-1",
         "on it", None))  # fmt: skip
    acked = "2026-11-02T10:30:00.000000+00:00"
    for event, at, by, note in (("raised", t, "router", "raised"),
                                ("acknowledged", acked, "coord-1", "on it")):  # fmt: skip
        run("alerts", "INSERT INTO alert_log VALUES (?, ?, ?, ?, ?, ?)",
            (ALERT_ID, event, at, by, note, None))  # fmt: skip
    run("alerts", "INSERT INTO alert_outbox (notice_key, alert_id, purpose, recipient_id, "
        "not_before, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (f"{ALERT_ID}:first", ALERT_ID, "first", "coord-1", t, "delivered", t))  # fmt: skip
    _, secret = new_secret()
    run("api", "INSERT INTO api_tokens VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
        (token_id_of(secret), "ops-bot", hash_secret(secret), "read", "",
         "2026-11-01T00:00:00+00:00", "2099-01-30T00:00:00+00:00"))  # fmt: skip
    vault = MemoryVault()
    sealed = vault.seal(MEMBER, NAME)
    run("vault", "INSERT INTO member_keys (member_id, key) VALUES (?, ?)",
        (str(MEMBER), vault.keys[MEMBER]))  # fmt: skip
    return secret, sealed


def engines(settings: Settings) -> list[sa.Engine]:
    """One SQLAlchemy engine per database that holds the stores (for inspection)."""
    if is_postgres(settings):
        url = settings.postgres_dsn.replace("postgresql://", "postgresql+psycopg://")
        return [sa.create_engine(url)]
    return [sa.create_engine(f"sqlite:///{settings.data_dir / s.sqlite_file}") for s in STORES]


def schema_of(settings: Settings) -> dict[str, dict]:
    """Every store table's columns, primary key and indexes (not Alembic's version table)."""
    schema = settings.postgres_schema or None if is_postgres(settings) else None
    out: dict[str, dict] = {}
    for engine in engines(settings):
        inspector = sa.inspect(engine)
        for table in inspector.get_table_names(schema=schema):
            if table == VERSION_TABLE:
                continue
            out[table] = {
                "columns": [(c["name"], str(c["type"]), c["nullable"],
                             _unqualified(c["default"], schema))
                            for c in inspector.get_columns(table, schema=schema)],
                "pk": inspector.get_pk_constraint(table, schema=schema)["constrained_columns"],
                "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                                  for i in inspector.get_indexes(table, schema=schema)),
            }  # fmt: skip
        if engine.dialect.name == "sqlite":  # the statements themselves, as SQLite keeps them
            with engine.connect() as conn:
                for name, sql in conn.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL"
                ):
                    if name in out:
                        out[name]["sql"] = " ".join(sql.split())
        engine.dispose()
    return out


def _unqualified(default: str | None, schema: str | None) -> str | None:
    """A column default without its schema (a sequence's ``nextval('schema.seq')``)."""
    return default.replace(f"'{schema}.", "'") if default and schema else default


def version_rows(settings: Settings) -> list[str]:
    """What ``alembic_version`` holds, over every store database."""
    rows: list[str] = []
    if is_postgres(settings):
        conn = connect(settings, Path("unused"))
        rows = [r[0] for r in conn.execute(f"SELECT version_num FROM {VERSION_TABLE}")]
        conn.close()
        return sorted(rows)
    for s in STORES:
        with sqlite3.connect(settings.data_dir / s.sqlite_file) as conn:
            rows += [r[0] for r in conn.execute(f"SELECT version_num FROM {VERSION_TABLE}")]
    return sorted(rows)


def env_of(settings: Settings) -> dict[str, str]:
    """The environment that points ``peerpulse`` at ``settings``' stores."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEERPULSE_")}
    env.update(PEERPULSE_DATA_DIR=str(settings.data_dir), PEERPULSE_STORE=settings.store,
               PEERPULSE_POSTGRES_DSN=settings.postgres_dsn,
               PEERPULSE_POSTGRES_SCHEMA=settings.postgres_schema)  # fmt: skip
    return env


def peerpulse_db(settings: Settings, *args: str, **kw) -> subprocess.Popen:
    """``python -m peerpulse db ARGS`` started for ``settings`` (text output, piped)."""
    return subprocess.Popen(
        [sys.executable, "-m", "peerpulse", "db", *args], env=env_of(settings),
        cwd=settings.data_dir.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, **kw,
    )  # fmt: skip


def run_db(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    """``python -m peerpulse db ARGS`` to its end."""
    settings.data_dir.parent.mkdir(parents=True, exist_ok=True)
    p = peerpulse_db(settings, *args)
    out, err = p.communicate(timeout=120)
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)
