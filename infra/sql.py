"""One way to open SQL connections: a SQLite file (embedded) or PostgreSQL (production).

Every SQL edge (alert store, token store, read-model reader, personal-data vault) writes its
statements with ``?`` placeholders and opens autocommit connections here, so the backend
switch, the schema (``Settings.postgres_schema``) and the SQLite pragmas live in one place.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from infra.errors import UserFacingError
from infra.settings import Settings


class StoreUnreachable(UserFacingError):
    """The configured PostgreSQL cannot be reached or refuses us."""


NUL_STAND_IN = "\ufffd"
"""What a NUL character in a text parameter becomes on PostgreSQL, whose text types cannot
hold NUL (SQLite can): the Unicode replacement character."""


def postgres(settings: Settings, *, timeout: int = 5, **kw: Any) -> Any:
    """A psycopg connection to the configured PostgreSQL, or one line saying why not.

    Text parameters are NUL-safe on it (:data:`NUL_STAND_IN`): the contract normalises
    names where they enter, and this keeps an old stored event, or a field the contract
    does not touch, from stopping a writer with ``DataError`` where it leaves."""
    import psycopg

    try:
        conn = psycopg.connect(settings.postgres_dsn, connect_timeout=timeout, **kw)
    except psycopg.OperationalError as exc:
        where = _where(settings.postgres_dsn)
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise StoreUnreachable(f"PostgreSQL at {where} is not reachable: {reason}") from exc
    conn.adapters.register_dumper(str, _nul_safe_dumper())
    return conn


@cache
def _nul_safe_dumper() -> type:
    """psycopg's own text dumper with NUL characters replaced first."""
    from psycopg.types.string import StrDumperUnknown

    class NulSafeStrDumper(StrDumperUnknown):
        def dump(self, obj: str) -> Any:
            if "\x00" in obj:
                obj = obj.replace("\x00", NUL_STAND_IN)
            return super().dump(obj)

    return NulSafeStrDumper


def _where(dsn: str) -> str:
    """``host:port/dbname`` of a URL or keyword DSN, never its password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(dsn)
    except Exception:
        return "the configured DSN (it does not parse)"
    host = parts.get("host") or "localhost"
    return f"{host}:{parts.get('port') or 5432}/{parts.get('dbname') or ''}"


def check_reachable(settings: Settings) -> None:
    """One connection attempt, so an outage is one line within seconds.

    eventsourcing's pool would wait 30 s (not tunable through its env) and then fail with
    a traceback. Nothing to check for SQLite (a file under ``data_dir``).
    """
    if is_postgres(settings):
        postgres(settings).close()


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
        if settings.postgres_schema:
            ensure_schema(settings)
        conn = postgres(settings, autocommit=True)
        if settings.postgres_schema:
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


SETUP_LOCK = 0x70705350  # "ppSP"
"""Class of PostgreSQL's two-key advisory locks serialising schema and table creation (the
second key is the schema's hash); the single-writer locks use one-key locks, another space."""
_schemas_ready: set[tuple[str, str]] = set()
_held = threading.local()


@contextmanager
def setup_lock(settings: Settings) -> Iterator[None]:
    """Hold while creating the configured schema's tables: several services starting at once
    on a fresh PostgreSQL schema (ingest beside the relay, the worker beside the API) would
    otherwise race, and PostgreSQL does not make concurrent ``CREATE SCHEMA/TABLE IF NOT
    EXISTS`` safe against each other. The schema exists inside. A no-op on SQLite."""
    if not is_postgres(settings) or getattr(_held, "depth", 0):
        yield  # SQLite, or this thread holds it already (a session-level lock is per session)
        return
    conn = postgres(settings, autocommit=True)
    schema = settings.postgres_schema or "public"
    try:
        conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (SETUP_LOCK, schema))
        _held.depth = 1
        try:
            if settings.postgres_schema:  # public needs no CREATE right on the database
                conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            _schemas_ready.add((settings.postgres_dsn, settings.postgres_schema))
            yield
        finally:
            _held.depth = 0
            conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (SETUP_LOCK, schema))
    finally:
        conn.close()


def ensure_schema(settings: Settings) -> None:
    """The configured PostgreSQL schema exists (checked once per process)."""
    if (settings.postgres_dsn, settings.postgres_schema) not in _schemas_ready:
        with setup_lock(settings):
            pass
