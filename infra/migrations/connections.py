"""Where the migrations run: one SQLAlchemy engine per database holding the stores — the
configured PostgreSQL schema (every store), or one SQLite file per store — opened with the
same connection rules as the stores' own sqlite3/psycopg edges (:mod:`infra.sql`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from infra.migrations.catalogue import Store
from infra.settings import Settings
from infra.sql import is_postgres, postgres


def targets(
    settings: Settings, stores: tuple[Store, ...], sqlite_file: Path | None
) -> list[tuple[tuple[Store, ...], Path | None, str]]:
    """(stores, SQLite file, where) per database: one PostgreSQL schema (no file) holding
    every store, or one file per store."""
    if is_postgres(settings):
        return [(stores, None, f"PostgreSQL schema {settings.postgres_schema or 'public'}")]
    paths = [(s, sqlite_file or settings.data_dir / s.sqlite_file) for s in stores]
    return [((s,), path, str(path)) for s, path in paths]


def engine_for(settings: Settings, path: Path | None) -> sa.Engine:
    """The engine for one entry of :func:`targets`."""
    return _sqlite_engine(path) if path is not None else _pg_engine(settings)


def _pg_engine(settings: Settings) -> sa.Engine:
    def creator() -> Any:
        conn = postgres(settings, autocommit=True)
        if settings.postgres_schema:
            conn.execute(f'SET search_path TO "{settings.postgres_schema}"')
        conn.autocommit = False
        return conn

    return sa.create_engine("postgresql+psycopg://", creator=creator, poolclass=sa.NullPool)


def _sqlite_engine(path: Path) -> sa.Engine:
    """SQLite with real transactions: the driver's implicit ones off, ``BEGIN IMMEDIATE``
    (the write lock) on begin, so DDL and the version row commit together."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=sa.NullPool,
                              connect_args={"timeout": 30})  # fmt: skip

    @sa.event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _take_the_write_lock(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
