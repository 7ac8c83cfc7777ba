"""The PostgreSQL half of :mod:`infra.singleton`: a session-level advisory lock per role.

The lock lives on a connection of its own, keyed by schema and name (:func:`infra.singleton._key`);
the holder's pid is in that session's ``application_name``. A watchdog checks the session:
every :data:`WATCH_EVERY_S` (a graceful SIGTERM to ourselves when it is gone, then
:class:`~infra.singleton.LockLost`), or, for a leased lock, every
:data:`~infra.lock_lease.LEASE_WATCH_S` with an immediate end (:mod:`infra.lock_lease`,
decision 0022). A standby waits on a session of its own, marked by a shared lock on
:func:`infra.standby.standby_name` so that ``peerpulse status`` can list it.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from infra.errors import one_line
from infra.lock_lease import LEASE_WATCH_S, Lease
from infra.settings import Settings
from infra.singleton import AlreadyRunning, LockLost, _key, _what
from infra.standby import Standby, standby_name

WATCH_EVERY_S = 5.0
"""How often a PostgreSQL lock's session is checked while its holder runs."""
ACQUIRE_GRACE_S = 2.0
"""How long a PostgreSQL lock is retried before a second instance is refused."""
log = logging.getLogger(__name__)


def _connect(settings: Settings, label: str) -> Any:
    from infra.sql import postgres

    # Keepalives both ways: the server drops the session (and the lock) of a holder whose
    # host died within about a minute, and we notice a server that went away.
    return postgres(
        settings,
        autocommit=True,
        application_name=label[:63],
        keepalives=1,
        keepalives_idle=30,
        keepalives_interval=10,
        keepalives_count=3,
        tcp_user_timeout=10_000,  # a query on a dead link fails in 10 s, not TCP's ~15 min
        options="-c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3",
    )


def _label(name: str) -> str:
    """The lock session's application name: it carries the holder's pid."""
    return f"peerpulse-{name} pid={os.getpid()}"[:63]


def _lock_lost(name: str) -> LockLost:
    return LockLost(
        f"lost the {_what(name)} lock: its PostgreSQL session ended (server restart, "
        "network, or terminated); stopped so that no second one overlaps"
    )


@contextmanager
def advisory_lock(
    settings: Settings, name: str, standby: Standby | None, leased: bool
) -> Iterator[Lease | None]:
    key = _key(settings, name)
    if standby is not None:
        conn = _wait_for_lock(settings, name, key, standby)
    else:
        conn = _connect(settings, _label(name))
        if not _try_lock(conn, key):
            holder = _holder(conn, key)
            conn.close()
            raise AlreadyRunning(
                f"another {_what(name)} is already running on this PostgreSQL store "
                f"({holder}); stop it first, or use another schema"
            )
    lost = threading.Event()
    done = threading.Event()
    lease = Lease(name.partition(":")[0], str(_lock_lost(name))) if leased else None
    every = LEASE_WATCH_S if leased else WATCH_EVERY_S
    watchdog = threading.Thread(
        target=_watch, args=(conn, name, lost, done, every, lease), name="lock-watchdog",
        daemon=True,
    )  # fmt: skip
    try:
        watchdog.start()
        if lease is not None:
            lease.start(done)
        yield lease
    finally:
        done.set()
        watchdog.join(2.0)  # it may be inside its check; the connection is one session
        if not lost.is_set() and not watchdog.is_alive():
            # Unlock explicitly: closing the connection also releases the lock, but only
            # once the server's backend has exited, after close() returns — a successor
            # started right after us would be refused.
            with suppress(Exception):  # the session is gone, and the lock with it
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
        conn.close()
        if lost.is_set():  # also in place of whatever the stop raised (e.g. rebuild's exit)
            raise _lock_lost(name) from None


def _wait_for_lock(settings: Settings, name: str, key: int, standby: Standby) -> Any:
    """A session holding the lock ``key``, once its holder has gone; meanwhile a shared lock
    on the standby lock marks this session as a standby. A session that ends while waiting
    (server restart) is opened again."""
    import psycopg

    from infra.sql import StoreUnreachable

    marker = _key(settings, standby_name(name))
    while True:
        try:
            conn = _connect(settings, f"peerpulse-{name} standby pid={os.getpid()}")
        except StoreUnreachable as exc:
            standby.wait(f"an unreachable PostgreSQL ({one_line(exc)})")
            continue
        try:
            conn.execute("SELECT pg_advisory_lock_shared(%s)", (marker,))
            while not conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
                standby.wait(_pid_of(_holder(conn, key)))
            conn.execute("SELECT pg_advisory_unlock_shared(%s)", (marker,))
            conn.execute("SELECT set_config('application_name', %s, false)", (_label(name),))
        except psycopg.OperationalError as exc:
            conn.close()
            log.warning("standby %s: its PostgreSQL session ended (%s)", _what(name), one_line(exc))
            continue
        except BaseException:
            conn.close()
            raise
        standby.took_over()
        return conn


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


def _watch(
    conn: Any, name: str, lost: threading.Event, done: threading.Event, every: float,
    lease: Lease | None,
) -> None:  # fmt: skip
    """Check the lock's session every ``every`` seconds; if it is gone, stop this process —
    gracefully (SIGTERM to ourselves), or at once when the lock is a ``lease`` — the lock
    went with the session."""
    while not done.wait(every):
        if lease is not None:
            lease.asking()
        try:
            conn.execute("SELECT 1")
        except Exception as exc:
            if done.is_set():
                return
            log.error("%s lock lost (%s); stopping", _what(name), one_line(exc))
            if lease is not None:
                lease.end()
            lost.set()
            os.kill(os.getpid(), signal.SIGTERM)
            return
        if lease is not None:
            lease.answered()


def _pid_of(application_name: str) -> str:
    """``pid 42`` from a lock session's application name (itself when it has none)."""
    found = re.search(r"\bpid=(\d+)", application_name)
    return f"pid {found.group(1)}" if found else application_name


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
