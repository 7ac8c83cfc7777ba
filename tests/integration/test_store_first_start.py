"""Every service starting at the same moment on a fresh PostgreSQL schema gets its tables:
none finds the schema missing or loses a race creating a table (decision 0001's store, the
alert store, tokens, the vault and the read model)."""

from __future__ import annotations

import multiprocessing
import uuid

import pytest

from api.auth.store import TokenStore
from consumers.alerts.sql import Database
from consumers.alerts.store import AlertStore
from infra.settings import Settings
from peerpulse.build import build
from projections.readmodel.store import ReadModel
from tests.conftest import PG_DSN, _pg_connect

pytestmark = pytest.mark.postgres
STARTERS = 6


def _start_everything(settings: Settings, barrier, errors) -> None:
    """What the start-up of ingest, relay, worker, alert router and API creates."""
    try:
        barrier.wait(timeout=30)
        container = build(settings)
        container.app.recorder.max_notification_id()
        container.vault.destroy(uuid.uuid4())
        AlertStore(Database(settings))
        TokenStore(settings)._run("SELECT 1")
        ReadModel(settings).open().close()
    except Exception as exc:  # reported to the test, which fails on it
        errors.put(f"{type(exc).__name__}: {exc}")


@pytest.fixture
def fresh_schema():
    """A schema name nobody has created yet (dropped afterwards if it was)."""
    name = f"t_fresh_{uuid.uuid4().hex[:10]}"
    yield name
    conn = _pg_connect()
    conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    conn.close()


def test_services_starting_at_once_on_a_fresh_schema_all_start(tmp_path, fresh_schema):
    settings = Settings(_env_file=None, data_dir=tmp_path, store="postgres",
                        postgres_dsn=PG_DSN, postgres_schema=fresh_schema)  # fmt: skip
    ctx = multiprocessing.get_context("fork")
    barrier, errors = ctx.Barrier(STARTERS), ctx.Queue()
    procs = [ctx.Process(target=_start_everything, args=(settings, barrier, errors))
             for _ in range(STARTERS)]  # fmt: skip
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    found = []
    while not errors.empty():
        found.append(errors.get())
    assert found == []
    assert [p.exitcode for p in procs] == [0] * STARTERS
