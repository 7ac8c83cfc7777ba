"""API tokens: what a token may do (scopes) and see (programs), for how long, and secrets.

A secret looks like ``ppt_<id>_<random>``. Only ``sha256(secret)`` is stored; the id part
finds the row and the hash is compared in constant time. A token expires (90 days unless
created otherwise). See docs/decisions/0010-api-auth.md.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

PREFIX = "ppt"
TOKEN_LIFETIME = timedelta(days=90)
"""How long a token lives unless created with another lifetime (and what an upgraded
pre-expiry token gets, counted from the upgrade)."""
MAX_LIFETIME_DAYS = 3650


class Scope(StrEnum):
    """What a token is for: posting attendance, reading and acknowledging, watching the
    pipeline's roles (``GET /v1/status``), or everything."""

    INGEST = "ingest"
    READ = "read"
    OPS = "ops"
    ADMIN = "admin"


@dataclass(frozen=True)
class ApiToken:
    """A stored token, without its secret. ``programs`` empty means every program;
    ``coordinator`` set binds the token to that coordinator's groups (their caseload)."""

    id: str
    name: str
    scopes: frozenset[Scope]
    programs: frozenset[UUID]
    created_at: datetime
    revoked_at: datetime | None = None
    expires_at: datetime | None = None
    coordinator: UUID | None = None

    @property
    def active(self) -> bool:
        """False once revoked."""
        return self.revoked_at is None

    def expired(self, now: datetime) -> bool:
        """True once ``now`` is past the expiry (a row without one never expires)."""
        return self.expires_at is not None and now >= self.expires_at

    def refusal(self, now: datetime) -> str | None:
        """Why the token cannot be used at ``now`` (revoked, expired), or None when it can."""
        if not self.active:
            return "the API token was revoked"
        if self.expired(now):
            return (f"the API token expired on {self.expires_at:%Y-%m-%d %H:%M} UTC: "
                    "ask for a new one (peerpulse tokens create)")  # fmt: skip
        return None

    def allows(self, scope: Scope) -> bool:
        """True when the token carries ``scope`` (admin carries every scope)."""
        return Scope.ADMIN in self.scopes or scope in self.scopes

    @property
    def all_programs(self) -> bool:
        """True when the token is not restricted to a list of programs."""
        return Scope.ADMIN in self.scopes or not self.programs

    def sees(self, program_id: UUID | str | None) -> bool:
        """True when the token may see data of ``program_id``."""
        if self.all_programs:
            return True
        if program_id is None:
            return False
        try:
            return UUID(str(program_id)) in self.programs
        except ValueError:
            return False

    def sees_group(self, group: dict) -> bool:
        """True when the token may see this group row (its program, and for a
        coordinator-bound token, only groups whose coordinator is that coordinator)."""
        if not self.sees(group.get("program_id")):
            return False
        return self.coordinator is None or str(group.get("coordinator_id")) == str(self.coordinator)


UNKNOWN = "the API token is not valid (unknown or malformed)"


def new_secret() -> tuple[str, str]:
    """A fresh ``(token_id, secret)`` pair; the secret embeds the id."""
    token_id = secrets.token_hex(6)
    return token_id, f"{PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"


def hash_secret(secret: str) -> str:
    """The stored form of a secret (or session id, or login code): hex sha256."""
    return hashlib.sha256(secret.encode()).hexdigest()


def token_id_of(secret: str) -> str | None:
    """The id embedded in a well-formed secret, else None."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1]


def matches(secret: str, stored_hash: str) -> bool:
    """Constant-time comparison of a presented secret with a stored hash."""
    return hmac.compare_digest(hash_secret(secret), stored_hash)
