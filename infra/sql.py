"""One way to open SQL connections: a SQLite file (embedded) or PostgreSQL (production).

Every SQL edge (alert store, token store, read-model reader, personal-data vault) writes its
statements with ``?`` placeholders and opens autocommit connections here, so the backend
switch, the schema (``Settings.postgres_schema``) and the SQLite pragmas live in one place.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from infra.settings import Settings


def is_postgres(settings: Settings) -> bool:
    """True when the settings choose PostgreSQL."""
    return settings.store == "postgres"


def connect(
    settings: Settings, sqlite_file: Path, *, timeout: float = 10.0, pragmas: tuple[str, ...] = ()
) -> Any:
    """An autocommit DB-API connection for the configured backend.

    PostgreSQL: ``search_path`` is the configured schema (created if missing). SQLite: the
    file (its folder created), usable from any thread, with ``pragmas`` applied.
    """
    if is_postgres(settings):
        import psycopg

        conn = psycopg.connect(settings.postgres_dsn, autocommit=True, connect_timeout=5)
        if settings.postgres_schema:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{settings.postgres_schema}"')
            conn.execute(f'SET search_path TO "{settings.postgres_schema}"')
        return conn
    sqlite_file.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        sqlite_file, timeout=timeout, isolation_level=None, check_same_thread=False
    )
    for pragma in pragmas:
        conn.execute(f"PRAGMA {pragma}")
    return conn


def placeholders(sql: str, postgres: bool) -> str:
    """Turn ``?`` placeholders into psycopg's ``%s`` when talking to PostgreSQL."""
    return sql.replace("?", "%s") if postgres else sql
