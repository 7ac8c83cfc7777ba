"""Shared fixtures: settings per backend, a PostgreSQL schema per test, the embedded broker.

Under ``CI=true`` a test that would skip for lack of a server fails instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.settings import Settings

pytest_plugins = ["tests.fixtures.broker", "tests.fixtures.alertmanager", "tests.fixtures.smtp"]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_DSN = os.environ.get("PEERPULSE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def server_missing(what: str) -> None:
    """Skip locally, fail in CI: a missing server is never a silent pass there."""
    message = f"{what} is not available"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: integration tests must not skip)")
    pytest.skip(message)


def _pg_connect():
    import psycopg

    try:
        return psycopg.connect(PG_DSN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        server_missing(f"PostgreSQL at {PG_DSN} ({exc.__class__.__name__})")


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = _pg_connect()
    conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield name
    finally:
        conn.execute(f'DROP SCHEMA "{name}" CASCADE')
        conn.close()


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    """Embedded-profile settings isolated in a temporary directory."""
    return Settings(_env_file=None, data_dir=tmp_path / "pp", store="sqlite")


@pytest.fixture
def postgres_settings(tmp_path: Path, pg_schema: str) -> Settings:
    """Production-profile settings isolated in a fresh schema."""
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "pp",
        store="postgres",
        postgres_dsn=PG_DSN,
        postgres_schema=pg_schema,
    )


@pytest.fixture(params=["sqlite", "postgres"])
def store_settings(request: pytest.FixtureRequest) -> Settings:
    """Run the test once on SQLite and once on PostgreSQL."""
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
    return request.getfixturevalue(f"{request.param}_settings")
