"""Dashboard sessions and one-time login links, kept server-side beside the tokens.

The dashboard cookie holds a random session id, never the token secret; only its sha256
is stored, with the token it stands for and an expiry no later than the token's. A login
link (``/login?token=ppl_…``, printed by ``peerpulse tokens create|link``) carries a random
code that signs in once, within :data:`LINK_LIFETIME`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from api.auth import schema
from api.auth.tokens import UNKNOWN, ApiToken, hash_secret

if TYPE_CHECKING:
    from api.auth.store import TokenStore

SESSION_LIFETIME = timedelta(days=7)
LINK_LIFETIME = timedelta(minutes=15)
LINK_PREFIX = "ppl_"
SESSION, LINK = "session", "link"
_JOINED = ", ".join(f"t.{c}" for c in schema.TOKEN_COLUMNS.split(", "))


@dataclass(frozen=True)
class Session:
    """A signed-in dashboard: the id for the cookie (not stored), its token and expiry."""

    id: str
    token: ApiToken
    expires_at: datetime


def is_login_code(value: str) -> bool:
    """True when ``value`` looks like a login link's code rather than a token secret."""
    return value.startswith(LINK_PREFIX)


class SessionStore:
    """Sessions and login links of one :class:`TokenStore` (same tables, same clock)."""

    def __init__(self, tokens: TokenStore) -> None:
        self._tokens = tokens

    def start(self, token: ApiToken) -> Session:
        """A new session for ``token``, ending after :data:`SESSION_LIFETIME` or with it."""
        session_id = secrets.token_urlsafe(32)
        expires = self._add(SESSION, session_id, token, SESSION_LIFETIME)
        return Session(session_id, token, expires)

    def check(self, session_id: str) -> tuple[ApiToken | None, str | None]:
        """``(token, None)`` for a live session of a usable token, else ``(None, why not)``."""
        rows = self._tokens._run(
            f"SELECT s.expires_at, {_JOINED} FROM {{sessions}} s "
            "JOIN {table} t ON t.id = s.token_id WHERE s.id_sha256 = ? AND s.kind = ?",
            (hash_secret(session_id), SESSION),
        )
        if not rows:
            return None, "you are not signed in (the session is unknown or has ended)"
        now = self._tokens.clock()
        if now >= datetime.fromisoformat(rows[0][0]):
            return None, "your session expired: sign in again"
        token = schema.token_of(rows[0][1:])
        refusal = token.refusal(now)
        return (None, refusal) if refusal else (token, None)

    def end(self, session_id: str) -> None:
        """Forget a session (sign out)."""
        self._tokens._run("DELETE FROM {sessions} WHERE id_sha256 = ? AND kind = ?",
                          (hash_secret(session_id), SESSION))  # fmt: skip

    def new_link(self, token: ApiToken) -> str:
        """A login code for ``token``: one sign-in within :data:`LINK_LIFETIME`."""
        code = LINK_PREFIX + secrets.token_urlsafe(32)
        self._add(LINK, code, token, LINK_LIFETIME)
        return code

    def redeem(self, code: str) -> tuple[ApiToken | None, str | None]:
        """Use up a login code: ``(token, None)``, or ``(None, why not)``."""
        rows = self._tokens._run(
            "DELETE FROM {sessions} WHERE id_sha256 = ? AND kind = ? "
            "RETURNING token_id, expires_at",
            (hash_secret(code), LINK),
        )
        if not rows:
            return None, "that login link is not valid: it was used already or never issued"
        now = self._tokens.clock()
        if now >= datetime.fromisoformat(rows[0][1]):
            return None, "that login link expired: links work once, for 15 minutes"
        token = self._tokens.get(rows[0][0])
        if token is None:
            return None, UNKNOWN
        refusal = token.refusal(now)
        return (None, refusal) if refusal else (token, None)

    def _add(self, kind: str, raw_id: str, token: ApiToken, lifetime: timedelta) -> datetime:
        now = self._tokens.clock()
        expires = now + lifetime
        if token.expires_at is not None:
            expires = min(expires, token.expires_at)
        self._tokens._run("DELETE FROM {sessions} WHERE expires_at < ?", (now.isoformat(),))
        self._tokens._run(
            "INSERT INTO {sessions} (id_sha256, kind, token_id, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (hash_secret(raw_id), kind, token.id, now.isoformat(), expires.isoformat()),
        )
        return expires
