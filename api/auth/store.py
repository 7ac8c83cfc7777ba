"""The token table: create, list, revoke and authenticate API tokens in SQL.

SQLite (``<data_dir>/api.sqlite``) in the embedded profile, PostgreSQL in production. Tokens
live apart from the read model on purpose: the read model is disposable, tokens are not.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from uuid import UUID

from api.auth.tokens import ApiToken, Scope, hash_secret, matches, new_secret, token_id_of
from infra.settings import Settings
from infra.sql import connect, is_postgres, placeholders, setup_lock

TABLE = "api_tokens"
_DDL = """CREATE TABLE IF NOT EXISTS {table} (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_sha256 TEXT NOT NULL,
    scopes TEXT NOT NULL, programs TEXT NOT NULL,
    created_at TEXT NOT NULL, revoked_at TEXT)"""
_COLUMNS = "id, name, secret_sha256, scopes, programs, created_at, revoked_at"


class TokenStore:
    """API tokens in the configured SQL backend; every method opens a short connection."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pg = is_postgres(settings)
        schema = settings.postgres_schema
        self.table = f'"{schema}".{TABLE}' if self._pg and schema else TABLE
        self._ready = False

    def _connect(self):
        return connect(self.settings, self.settings.data_dir / "api.sqlite")

    def _run(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        sql = placeholders(sql, self._pg)
        conn = self._connect()
        try:
            if not self._ready:
                with setup_lock(self.settings):
                    conn.execute(_DDL.format(table=self.table))
                self._ready = True
            cur = conn.execute(sql.format(table=self.table), tuple(params))
            return list(cur.fetchall()) if cur.description else []
        finally:
            conn.close()

    def ping(self) -> None:
        """Raise if the token table cannot be reached (used by /readyz)."""
        self._run("SELECT COUNT(*) FROM {table}")

    def create(
        self,
        name: str,
        scopes: Iterable[Scope | str],
        programs: Iterable[UUID | str] = (),
        now: datetime | None = None,
    ) -> tuple[ApiToken, str]:
        """Store a new token; return it with its secret (shown once, never stored)."""
        scope_set = frozenset(Scope(s) for s in scopes)
        if not scope_set:
            raise ValueError("a token needs at least one scope")
        program_set = frozenset(UUID(str(p)) for p in programs)
        token_id, secret = new_secret()
        token = ApiToken(token_id, name, scope_set, program_set, now or datetime.now(UTC))
        self._run(
            f"INSERT INTO {{table}} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL)",
            (token.id, name, hash_secret(secret), _join(scope_set), _join(program_set),
             token.created_at.isoformat()),
        )  # fmt: skip
        return token, secret

    def list(self) -> list[ApiToken]:
        """Every token, oldest first, revoked ones included."""
        rows = self._run(f"SELECT {_COLUMNS} FROM {{table}} ORDER BY created_at, id")
        return [_token(row) for row in rows]

    def get(self, token_id: str) -> ApiToken | None:
        """One token by id."""
        rows = self._run(f"SELECT {_COLUMNS} FROM {{table}} WHERE id = ?", (token_id,))
        return _token(rows[0]) if rows else None

    def revoke(self, token_id: str, now: datetime | None = None) -> bool:
        """Revoke a token; False when no active token has that id."""
        if (token := self.get(token_id)) is None or not token.active:
            return False
        when = (now or datetime.now(UTC)).isoformat()
        self._run("UPDATE {table} SET revoked_at = ? WHERE id = ?", (when, token_id))
        return True

    def authenticate(self, secret: str) -> ApiToken | None:
        """The active token whose secret this is, else None."""
        token_id = token_id_of(secret)
        if token_id is None:
            return None
        rows = self._run(f"SELECT {_COLUMNS} FROM {{table}} WHERE id = ?", (token_id,))
        if not rows or not matches(secret, rows[0][2]):
            return None
        token = _token(rows[0])
        return token if token.active else None


def _join(values: Iterable[object]) -> str:
    return ",".join(sorted(str(v) for v in values))


def _token(row: tuple) -> ApiToken:
    token_id, name, _hash, scopes, programs, created, revoked = row
    return ApiToken(
        id=token_id, name=name,
        scopes=frozenset(Scope(s) for s in scopes.split(",") if s),
        programs=frozenset(UUID(p) for p in programs.split(",") if p),
        created_at=datetime.fromisoformat(created),
        revoked_at=datetime.fromisoformat(revoked) if revoked else None,
    )  # fmt: skip
