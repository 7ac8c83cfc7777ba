"""One process per role and store: the relay, ingest and the alert router are single writers.

Two relays publishing one store to one topic would interleave positions (decision 0007);
two ingest processes would each keep their own event-time watermark and trusted cache
(0012, 0001); two alert routers would both send a due notice (0009). Each of these
commands holds a lock named after its role for as long as it runs, and a second one stops
at once with one line saying who holds it:

- SQLite store: an exclusive ``flock`` on ``<data_dir>/locks/<name>.lock``, which holds
  the holder's pid;
- PostgreSQL: a session-level advisory lock on a connection of its own, keyed by schema
  and name; the holder's pid is in that connection's ``application_name``.

The kernel, or the server when the connection drops, releases the lock when the holder
dies, even by SIGKILL, so a restart after a crash is never refused.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from infra.errors import UserFacingError
from infra.settings import Settings


class AlreadyRunning(UserFacingError):
    """Another process already plays this role on this store."""


def _what(name: str) -> str:
    role, _, topic = name.partition(":")
    return f"peerpulse {role}" + (f" for {topic}" if topic else "")


@contextmanager
def only_one(settings: Settings, name: str) -> Iterator[None]:
    """Hold the lock ``name`` (e.g. ``"relay:peerpulse.events.v1"``) while the block runs.

    Raises :class:`AlreadyRunning` if another process holds it.
    """
    if settings.store == "postgres":
        with _advisory_lock(settings, name):
            yield
    else:
        with _file_lock(settings, name):
            yield


@contextmanager
def _file_lock(settings: Settings, name: str) -> Iterator[None]:
    folder = settings.data_dir / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name.replace('/', '_')}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise AlreadyRunning(
                f"another {_what(name)} is already running on {settings.data_dir} "
                f"(pid {holder}); stop it first, or use another PEERPULSE_DATA_DIR"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _key(settings: Settings, name: str) -> int:
    digest = hashlib.blake2b(f"{settings.postgres_schema}:{name}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


@contextmanager
def _advisory_lock(settings: Settings, name: str) -> Iterator[None]:
    from infra.sql import postgres

    label = f"peerpulse-{name} pid={os.getpid()}"[:63]
    conn: Any = postgres(settings, autocommit=True, application_name=label)
    try:
        key = _key(settings, name)
        if not conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
            raise AlreadyRunning(
                f"another {_what(name)} is already running on this PostgreSQL store "
                f"({_holder(conn, key)}); stop it first, or use another schema"
            )
        yield
    finally:
        conn.close()  # ends the session, which releases the lock


def _holder(conn: Any, key: int) -> str:
    """The holding session's application name (it carries the pid), if visible."""
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    row = conn.execute(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
        "WHERE l.locktype = 'advisory' AND l.granted "
        "AND l.classid::bigint = %s AND l.objid::bigint = %s AND l.objsubid = 1",
        (unsigned >> 32, unsigned & 0xFFFFFFFF),
    ).fetchone()
    return row[0] if row and row[0] else "held by another session"
