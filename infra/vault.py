"""The personal-data vault: one AES-GCM key per person, kept apart from the event store.

Names and contacts are sealed with their owner's key before any event is recorded;
``destroy`` deletes the key, which crypto-shreds every copy of that data (events,
snapshots, the Kafka topics that never carried it anyway). Keys live in
``data_dir/vault.sqlite`` (embedded) or the ``member_keys`` table of the configured
PostgreSQL schema (production) — never in the event tables.
"""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from infra.settings import Settings
from infra.sql import connect, is_postgres, setup_lock

TABLE = "member_keys"
_PREFIX = "v1."


def _seal(key: bytes, member_id: UUID, plaintext: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), member_id.bytes)
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def _unseal(key: bytes | None, member_id: UUID, token: str) -> str | None:
    if not token.startswith(_PREFIX):
        raise ValueError(f"not a sealed token for member {member_id}")
    if key is None:
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

    def seal(self, member_id: UUID, plaintext: str) -> str:
        """Encrypt with the person's key, creating the key on first use."""
        key = self.keys.setdefault(member_id, AESGCM.generate_key(bit_length=256))
        return _seal(key, member_id, plaintext)

    def unseal(self, member_id: UUID, token: str) -> str | None:
        """Decrypt, or ``None`` when the key is gone."""
        return _unseal(self.keys.get(member_id), member_id, token)

    def destroy(self, member_id: UUID) -> None:
        """Forget the person's key."""
        self.keys.pop(member_id, None)


class SqlVault:
    """A :class:`domain.vault.PersonalDataVault` over one DB-API connection (SQLite or psycopg)."""

    def __init__(
        self,
        connect: Callable[[], Any],
        table: str,
        placeholder: str,
        setup: Callable[[], AbstractContextManager[Any]] = nullcontext,
    ) -> None:
        """``connect`` opens an autocommit connection; ``table`` is the (qualified) key table;
        ``setup`` is held while the table is created (:func:`infra.sql.setup_lock`)."""
        self._connect = connect
        self._setup = setup
        self._conn: Any = None
        self._table = table
        self._p = placeholder
        self._lock = threading.Lock()

    def seal(self, member_id: UUID, plaintext: str) -> str:
        """Encrypt with the person's key, creating the key on first use."""
        return _seal(self._key(member_id) or self._create_key(member_id), member_id, plaintext)

    def unseal(self, member_id: UUID, token: str) -> str | None:
        """Decrypt, or ``None`` when the key is gone (the person was forgotten)."""
        return _unseal(self._key(member_id), member_id, token)

    def destroy(self, member_id: UUID) -> None:
        """Delete the person's key; repeating it is harmless."""
        self._execute(f"DELETE FROM {self._table} WHERE member_id = {self._p}", (str(member_id),))

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _key(self, member_id: UUID) -> bytes | None:
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
        key = self._key(member_id)
        assert key is not None
        return key

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            if self._conn is None:
                self._conn = self._connect()
                with self._setup():
                    self._conn.execute(
                        f"CREATE TABLE IF NOT EXISTS {self._table} "
                        "(member_id TEXT PRIMARY KEY, key BYTEA NOT NULL)"
                    )
            cursor = self._conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []


def build_vault(settings: Settings) -> SqlVault:
    """The vault for the configured backend (its own SQLite file, or a PostgreSQL table)."""
    path = settings.data_dir / "vault.sqlite"

    def open_connection() -> Any:
        return connect(settings, path, pragmas=("secure_delete = ON",))

    if not is_postgres(settings):
        return SqlVault(open_connection, TABLE, "?")
    schema = settings.postgres_schema or "public"
    return SqlVault(open_connection, f'"{schema}".{TABLE}', "%s", lambda: setup_lock(settings))
