"""One process per role and store: relay, ingest, projection worker, alert router.

Two relays publishing one store to one topic would interleave positions (decision 0007);
two ingest processes would each keep their own event-time watermark and trusted cache
(0012, 0001); two projection workers would split the events topic's partitions while each
restores every group's state from one read model; two alert routers would both send a due
notice (0009); a rebuild beside a worker would reset tables the worker writes. Each of
these commands holds a lock named after its role for as long as it runs (``rebuild`` holds
the worker's), and a second one stops with one line saying who holds it:

- SQLite store: an exclusive ``flock`` on ``<data_dir>/locks/<name>.lock``, which holds
  the holder's pid;
- PostgreSQL: a session-level advisory lock on a connection of its own, keyed by schema
  and name; the holder's pid is in that connection's ``application_name``. A watchdog
  thread checks that session every few seconds: if it ended (server restart, network,
  ``pg_terminate_backend``), the lock is gone, so the holder stops itself (SIGTERM to its
  own process, then :class:`LockLost`, exit 2) rather than run beside a successor.

The kernel, or the server when the connection drops, releases the lock when the holder
dies, even by SIGKILL, so a restart after a crash is never refused. The server frees a
dead holder's lock a moment after the death (when its backend exits), so a PostgreSQL
lock is retried for :data:`ACQUIRE_GRACE_S` before a second instance is refused, and a
holder that stops normally unlocks explicitly before it disconnects.
:mod:`infra.lock_holder` tells who holds a lock without taking it (``peerpulse status``).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from infra.errors import UserFacingError, one_line
from infra.settings import Settings
from infra.sql import is_postgres


class AlreadyRunning(UserFacingError):
    """Another process already plays this role on this store."""


class LockLost(UserFacingError):
    """The PostgreSQL session holding the lock ended while we ran; we stopped."""


WATCH_EVERY_S = 5.0
"""How often a PostgreSQL lock's session is checked while its holder runs."""
ACQUIRE_GRACE_S = 2.0
"""How long a PostgreSQL lock is retried before a second instance is refused."""
log = logging.getLogger(__name__)


def _what(name: str) -> str:
    role, _, topic = name.partition(":")
    return f"peerpulse {role}" + (f" for {topic}" if topic else "")


@contextmanager
def only_one(settings: Settings, name: str) -> Iterator[None]:
    """Hold the lock ``name`` (e.g. ``"relay:peerpulse.events.v1"``) while the block runs.

    Raises :class:`AlreadyRunning` if another process holds it.
    """
    if is_postgres(settings):
        with _advisory_lock(settings, name):
            yield
    else:
        with _file_lock(settings, name):
            yield


def lock_path(settings: Settings, name: str) -> Path:
    """The file whose ``flock`` is the lock ``name`` on a SQLite store."""
    return settings.data_dir / "locks" / f"{name.replace('/', '_')}.lock"


@contextmanager
def _file_lock(settings: Settings, name: str) -> Iterator[None]:
    path = lock_path(settings, name)
    path.parent.mkdir(parents=True, exist_ok=True)
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
    # Keepalives both ways: the server drops the session (and the lock) of a holder whose
    # host died within about a minute, and we notice a server that went away.
    conn: Any = postgres(
        settings,
        autocommit=True,
        application_name=label,
        keepalives=1,
        keepalives_idle=30,
        keepalives_interval=10,
        keepalives_count=3,
        tcp_user_timeout=10_000,  # a query on a dead link fails in 10 s, not TCP's ~15 min
        options="-c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3",
    )
    lost = threading.Event()
    done = threading.Event()
    watchdog: threading.Thread | None = None
    key = _key(settings, name)
    try:
        if not _try_lock(conn, key):
            raise AlreadyRunning(
                f"another {_what(name)} is already running on this PostgreSQL store "
                f"({_holder(conn, key)}); stop it first, or use another schema"
            )
        watchdog = threading.Thread(
            target=_watch, args=(conn, name, lost, done), name="lock-watchdog", daemon=True
        )
        watchdog.start()
        yield
    finally:
        done.set()
        if watchdog is not None:
            watchdog.join(2.0)  # it may be inside its check; the connection is one session
            if not lost.is_set() and not watchdog.is_alive():
                # Unlock explicitly: closing the connection also releases the lock, but only
                # once the server's backend has exited, after close() returns — a successor
                # started right after us would be refused.
                with suppress(Exception):  # the session is gone, and the lock with it
                    conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
        conn.close()
        if lost.is_set():  # also in place of whatever the stop raised (e.g. rebuild's exit)
            raise LockLost(
                f"lost the {_what(name)} lock: its PostgreSQL session ended (server restart, "
                "network, or terminated); stopped so that no second one overlaps"
            ) from None


def _try_lock(conn: Any, key: int) -> bool:
    """Try for :data:`ACQUIRE_GRACE_S`: a holder that just died (even by SIGKILL) keeps its
    lock until the server's backend notices the closed socket and exits, a moment later —
    a supervisor's immediate restart must not be refused for that."""
    deadline = time.monotonic() + ACQUIRE_GRACE_S
    while not conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def _watch(conn: Any, name: str, lost: threading.Event, done: threading.Event) -> None:
    """Check the lock's session every :data:`WATCH_EVERY_S`; if it is gone, stop this process
    gracefully (SIGTERM to ourselves) — the lock went with the session."""
    while not done.wait(WATCH_EVERY_S):
        try:
            conn.execute("SELECT 1")
        except Exception as exc:
            if done.is_set():
                return
            log.error("%s lock lost (%s); stopping", _what(name), one_line(exc))
            lost.set()
            os.kill(os.getpid(), signal.SIGTERM)
            return


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
