"""The token table: create, list, revoke, expire and authenticate API tokens in SQL.

SQLite (``<data_dir>/api.sqlite``) in the embedded profile, PostgreSQL in production. Tokens
live apart from the read model on purpose: the read model is disposable, tokens are not.
Dashboard sessions and login links live beside them (:mod:`api.auth.sessions`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from api.auth import schema
from api.auth.sessions import SessionStore
from api.auth.tokens import (
    TOKEN_LIFETIME,
    UNKNOWN,
    ApiToken,
    Scope,
    hash_secret,
    matches,
    new_secret,
    token_id_of,
)
from infra.migrations.runner import ensure_at_head
from infra.settings import Settings
from infra.sql import connect, is_postgres, placeholders

TABLE = schema.TOKENS
Clock = Callable[[], datetime]


def wall_clock() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


class TokenStore:
    """API tokens in the configured SQL backend; every method opens a short connection.

    ``clock`` tells the time for expiry (tests pass a fake one); ``sessions`` holds the
    dashboard sessions and login links of these tokens.
    """

    def __init__(self, settings: Settings, clock: Clock = wall_clock) -> None:
        self.settings = settings
        self.clock = clock
        self._pg = is_postgres(settings)
        schema_name = settings.postgres_schema
        prefix = f'"{schema_name}".' if self._pg and schema_name else ""
        self.table = prefix + schema.TOKENS
        self.sessions_table = prefix + schema.SESSIONS
        self.sessions = SessionStore(self)
        self._ready = False

    def _connect(self):
        return connect(self.settings, self.settings.data_dir / schema.AUTH_STORE.sqlite_file)

    def _run(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        """Run one statement (``{table}``, ``{sessions}``, ``?``); its rows, if any."""
        sql = placeholders(sql, self._pg)
        conn = self._connect()
        try:
            if not self._ready:
                ensure_at_head(self.settings, schema.AUTH_STORE, now=self.clock())
                self._ready = True
            cur = conn.execute(sql.format(table=self.table, sessions=self.sessions_table),
                               tuple(params))  # fmt: skip
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
        lifetime: timedelta = TOKEN_LIFETIME,
        coordinator: UUID | str | None = None,
    ) -> tuple[ApiToken, str]:
        """Store a new token valid for ``lifetime``; return it with its secret (shown once).
        With ``coordinator`` it sees only the groups that coordinator is responsible for."""
        scope_set = frozenset(Scope(s) for s in scopes)
        if not scope_set:
            raise ValueError("a token needs at least one scope")
        if lifetime <= timedelta(0):
            raise ValueError("a token's lifetime must be positive")
        program_set = frozenset(UUID(str(p)) for p in programs)
        bound = UUID(str(coordinator)) if coordinator is not None else None
        token_id, secret = new_secret()
        created = now or self.clock()
        token = ApiToken(token_id, name, scope_set, program_set, created,
                         expires_at=created + lifetime, coordinator=bound)  # fmt: skip
        self._run(
            f"INSERT INTO {{table}} ({schema.TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)",
            (token.id, name, hash_secret(secret), _join(scope_set), _join(program_set),
             token.created_at.isoformat(), token.expires_at.isoformat(),
             str(bound) if bound else None),
        )  # fmt: skip
        return token, secret

    def list(self) -> list[ApiToken]:
        """Every token, oldest first, revoked and expired ones included."""
        rows = self._run(f"SELECT {schema.TOKEN_COLUMNS} FROM {{table}} ORDER BY created_at, id")
        return [schema.token_of(row) for row in rows]

    def get(self, token_id: str) -> ApiToken | None:
        """One token by id."""
        rows = self._run(f"SELECT {schema.TOKEN_COLUMNS} FROM {{table}} WHERE id = ?", (token_id,))
        return schema.token_of(rows[0]) if rows else None

    def revoke(self, token_id: str, now: datetime | None = None) -> bool:
        """Revoke a token and end its sessions; False when no active token has that id."""
        if (token := self.get(token_id)) is None or not token.active:
            return False
        when = (now or self.clock()).isoformat()
        self._run("UPDATE {table} SET revoked_at = ? WHERE id = ?", (when, token_id))
        self._run("DELETE FROM {sessions} WHERE token_id = ?", (token_id,))
        return True

    def check(self, secret: str) -> tuple[ApiToken | None, str | None]:
        """``(token, None)`` when ``secret`` is a usable token's, else ``(None, why not)``."""
        token_id = token_id_of(secret)
        if token_id is None:
            return None, UNKNOWN
        rows = self._run(f"SELECT {schema.TOKEN_COLUMNS} FROM {{table}} WHERE id = ?", (token_id,))
        if not rows or not matches(secret, rows[0][2]):
            return None, UNKNOWN
        token = schema.token_of(rows[0])
        refusal = token.refusal(self.clock())
        return (None, refusal) if refusal else (token, None)

    def authenticate(self, secret: str) -> ApiToken | None:
        """The usable (not revoked, not expired) token whose secret this is, else None."""
        return self.check(secret)[0]


def _join(values: Iterable[object]) -> str:
    return ",".join(sorted(str(v) for v in values))
