"""API tokens: what a token may do (scopes) and see (programs), and how secrets are checked.

A secret looks like ``ppt_<id>_<random>``. Only ``sha256(secret)`` is stored; the id part
finds the row and the hash is compared in constant time. See docs/decisions/0010-api-auth.md.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

PREFIX = "ppt"


class Scope(StrEnum):
    """What a token is for: posting attendance, reading and acknowledging, or everything."""

    INGEST = "ingest"
    READ = "read"
    ADMIN = "admin"


@dataclass(frozen=True)
class ApiToken:
    """A stored token, without its secret. ``programs`` empty means every program."""

    id: str
    name: str
    scopes: frozenset[Scope]
    programs: frozenset[UUID]
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        """False once revoked."""
        return self.revoked_at is None

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


def new_secret() -> tuple[str, str]:
    """A fresh ``(token_id, secret)`` pair; the secret embeds the id."""
    token_id = secrets.token_hex(6)
    return token_id, f"{PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"


def hash_secret(secret: str) -> str:
    """The stored form of a secret: hex sha256."""
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
