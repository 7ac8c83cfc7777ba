"""The auth tables (tokens; sessions and login links): their names and how a token row reads.

The tables are created and changed only by the ``auth`` branch of :mod:`infra.migrations`
(decision 0018; ``auth_0002`` gave old token tables their ``expires_at``, ``auth_0003``
their ``coordinator``), their names
declared once in :mod:`infra.migrations.catalogue`. Same SQL on SQLite and PostgreSQL
(``?`` placeholders, ISO-8601 text times).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from api.auth.tokens import ApiToken, Scope
from infra.migrations.catalogue import AUTH_STORE, SESSIONS, TOKENS

__all__ = ["AUTH_STORE", "SESSIONS", "TOKENS", "TOKEN_COLUMNS", "token_of"]
TOKEN_COLUMNS = (
    "id, name, secret_sha256, scopes, programs, created_at, revoked_at, expires_at, coordinator"
)


def token_of(row: tuple) -> ApiToken:
    """An :class:`ApiToken` from a row of :data:`TOKEN_COLUMNS`."""
    token_id, name, _hash, scopes, programs, created, revoked, expires, coordinator = row
    return ApiToken(
        id=token_id, name=name,
        scopes=frozenset(Scope(s) for s in scopes.split(",") if s),
        programs=frozenset(UUID(p) for p in programs.split(",") if p),
        created_at=datetime.fromisoformat(created),
        revoked_at=_time(revoked), expires_at=_time(expires),
        coordinator=UUID(coordinator) if coordinator else None,
    )  # fmt: skip


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
