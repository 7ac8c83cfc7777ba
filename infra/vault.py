"""The personal-data vault: one AES-GCM key per person, kept apart from the event store.

Names and contacts are sealed with their owner's key before any event is recorded;
``destroy`` deletes the key, which crypto-shreds every copy of that data (events,
snapshots, values the HTTP door sealed on ``peerpulse.attendance.v1``) and leaves an
empty key in its place, so a forgotten person is never given a new one. Keys live in
``data_dir/vault.sqlite`` (embedded) or the ``member_keys`` table of the configured
PostgreSQL schema (production) — never in the event tables. The ``vault`` branch of
:mod:`infra.migrations` creates and changes that table.
"""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Callable
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.errors import MemberForgotten
from domain.vault import PersonalDataVault
from infra.migrations.catalogue import MEMBER_KEYS, VAULT_STORE
from infra.settings import Settings
from infra.sql import connect, is_postgres

TABLE = MEMBER_KEYS
_PREFIX = "v1."
TRANSIT_PREFIX = "pp-sealed:"
"""Marks a value the HTTP door sealed before producing it (then ``v1.<base64>``)."""
DESTROYED = b""
"""The key left in place of a destroyed one."""


def seal_for_transit(vault: PersonalDataVault, member_id: UUID, plaintext: str) -> str:
    """``plaintext`` sealed with the person's key, marked so ingest opens it, not re-seals it."""
    return TRANSIT_PREFIX + vault.seal(member_id, plaintext)


def is_sealed_for_transit(value: str | None) -> bool:
    """Whether ``value`` carries the :data:`TRANSIT_PREFIX`."""
    return value is not None and value.startswith(TRANSIT_PREFIX)


def open_from_transit(vault: PersonalDataVault, member_id: UUID, value: str) -> str | None:
    """The clear text of a transit-sealed ``value``, or None: not this person's, forged or
    shredded (their key was destroyed)."""
    try:
        return vault.unseal(member_id, value.removeprefix(TRANSIT_PREFIX))
    except (ValueError, TypeError):
        return None


def _seal(key: bytes, member_id: UUID, plaintext: str) -> str:
    if key == DESTROYED:
        raise MemberForgotten(f"member {member_id} was forgotten: their key is destroyed")
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), member_id.bytes)
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def _unseal(key: bytes | None, member_id: UUID, token: str) -> str | None:
    if not token.startswith(_PREFIX):
        raise ValueError(f"not a sealed token for member {member_id}")
    if not key:
        return None
    raw = base64.urlsafe_b64decode(token[len(_PREFIX) :])
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], member_id.bytes).decode()
    except InvalidTag:
        return None


class MemoryVault:
    """The same sealing with keys in a dict: for tests, benchmarks and in-process replays."""

    def __init__(self) -> None:
        self.keys: dict[UUID, bytes] = {}
        self.destroyed: set[UUID] = set()

    def seal(self, member_id: UUID, plaintext: str) -> str:
        """Encrypt with the person's key, creating it on first use (not once destroyed)."""
        if member_id in self.destroyed:
            return _seal(DESTROYED, member_id, plaintext)
        key = self.keys.setdefault(member_id, AESGCM.generate_key(bit_length=256))
        return _seal(key, member_id, plaintext)

    def unseal(self, member_id: UUID, token: str) -> str | None:
        """Decrypt, or ``None`` when the key is gone."""
        return _unseal(self.keys.get(member_id), member_id, token)

    def destroy(self, member_id: UUID) -> None:
        """Forget the person's key."""
        self.keys.pop(member_id, None)
        self.destroyed.add(member_id)


class SqlVault:
    """A :class:`domain.vault.PersonalDataVault` over one DB-API connection (SQLite or psycopg)."""

    def __init__(
        self,
        connect: Callable[[], Any],
        table: str,
        placeholder: str,
        prepare: Callable[[], None] = lambda: None,
    ) -> None:
        """``connect`` opens an autocommit connection; ``table`` is the (qualified) key table;
        ``prepare`` runs before the first connection (brings the table to head)."""
        self._connect = connect
        self._prepare = prepare
        self._conn: Any = None
        self._table = table
        self._p = placeholder
        self._lock = threading.Lock()

    def seal(self, member_id: UUID, plaintext: str) -> str:
        """Encrypt with the person's key, creating it on first use (not once destroyed)."""
        key = self._stored(member_id)
        return _seal(self._create_key(member_id) if key is None else key, member_id, plaintext)

    def unseal(self, member_id: UUID, token: str) -> str | None:
        """Decrypt, or ``None`` when the key is gone (the person was forgotten)."""
        return _unseal(self._key(member_id), member_id, token)

    def destroy(self, member_id: UUID) -> None:
        """Replace the person's key by :data:`DESTROYED`; repeating it is harmless."""
        self._execute(
            f"INSERT INTO {self._table} (member_id, key) VALUES ({self._p}, {self._p}) "
            "ON CONFLICT (member_id) DO UPDATE SET key = excluded.key",
            (str(member_id), DESTROYED),
        )

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _key(self, member_id: UUID) -> bytes | None:
        """The person's live key; None when there is none or it was destroyed."""
        return self._stored(member_id) or None

    def _stored(self, member_id: UUID) -> bytes | None:
        """The stored key (:data:`DESTROYED` once destroyed), None when there is none."""
        rows = self._execute(
            f"SELECT key FROM {self._table} WHERE member_id = {self._p}", (str(member_id),)
        )
        return bytes(rows[0][0]) if rows else None

    def _create_key(self, member_id: UUID) -> bytes:
        self._execute(
            f"INSERT INTO {self._table} (member_id, key) VALUES ({self._p}, {self._p}) "
            "ON CONFLICT (member_id) DO NOTHING",
            (str(member_id), AESGCM.generate_key(bit_length=256)),
        )
        key = self._stored(member_id)
        assert key is not None
        return key

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            if self._conn is None:
                self._prepare()
                self._conn = self._connect()
            cursor = self._conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []


def build_vault(settings: Settings) -> SqlVault:
    """The vault for the configured backend (its own SQLite file, or a PostgreSQL table)."""
    path = settings.data_dir / VAULT_STORE.sqlite_file

    def open_connection() -> Any:
        return connect(settings, path, pragmas=("secure_delete = ON",))

    def prepare() -> None:
        from infra.migrations.runner import ensure_at_head

        ensure_at_head(settings, VAULT_STORE)

    if not is_postgres(settings):
        return SqlVault(open_connection, TABLE, "?", prepare)
    schema = settings.postgres_schema or "public"
    return SqlVault(open_connection, f'"{schema}".{TABLE}', "%s", prepare)
