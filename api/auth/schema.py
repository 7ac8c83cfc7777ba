"""The auth tables (tokens; sessions and login links) and the in-place upgrade of old token tables.

A token table made before tokens expired has no ``expires_at`` column: :func:`prepare` adds
it, keeping every row, and gives such tokens :data:`~api.auth.tokens.TOKEN_LIFETIME` from
the upgrade. Same SQL on SQLite and PostgreSQL (``?`` placeholders, ISO-8601 text times).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from api.auth.tokens import TOKEN_LIFETIME, ApiToken, Scope
from infra.sql import placeholders

TOKENS = "api_tokens"
SESSIONS = "api_sessions"
TOKEN_COLUMNS = "id, name, secret_sha256, scopes, programs, created_at, revoked_at, expires_at"
_TOKENS_DDL = """CREATE TABLE IF NOT EXISTS {table} (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_sha256 TEXT NOT NULL,
    scopes TEXT NOT NULL, programs TEXT NOT NULL,
    created_at TEXT NOT NULL, revoked_at TEXT, expires_at TEXT)"""
_SESSIONS_DDL = """CREATE TABLE IF NOT EXISTS {table} (
    id_sha256 TEXT PRIMARY KEY, kind TEXT NOT NULL, token_id TEXT NOT NULL,
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL)"""


def prepare(conn: Any, pg: bool, tokens: str, sessions: str, now: datetime) -> None:
    """Create both tables if missing and upgrade a token table without expiry.

    The check and the change run in one transaction (``BEGIN IMMEDIATE`` on SQLite; on
    PostgreSQL the caller also holds the setup lock), so two processes upgrading at once
    cannot both add the column.
    """
    conn.execute(_TOKENS_DDL.format(table=tokens))
    conn.execute(_SESSIONS_DDL.format(table=sessions))
    conn.execute("BEGIN" if pg else "BEGIN IMMEDIATE")
    try:
        if "expires_at" not in _columns(conn, tokens):
            conn.execute(f"ALTER TABLE {tokens} ADD COLUMN expires_at TEXT")
        # also catches rows an older release inserted after the upgrade
        conn.execute(
            placeholders(f"UPDATE {tokens} SET expires_at = ? WHERE expires_at IS NULL", pg),
            ((now + TOKEN_LIFETIME).isoformat(),),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _columns(conn: Any, table: str) -> set[str]:
    cur = conn.execute(f"SELECT * FROM {table} LIMIT 0")
    names = {d[0].lower() for d in cur.description}
    cur.fetchall()
    return names


def token_of(row: tuple) -> ApiToken:
    """An :class:`ApiToken` from a row of :data:`TOKEN_COLUMNS`."""
    token_id, name, _hash, scopes, programs, created, revoked, expires = row
    return ApiToken(
        id=token_id, name=name,
        scopes=frozenset(Scope(s) for s in scopes.split(",") if s),
        programs=frozenset(UUID(p) for p in programs.split(",") if p),
        created_at=datetime.fromisoformat(created),
        revoked_at=_time(revoked), expires_at=_time(expires),
    )  # fmt: skip


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
