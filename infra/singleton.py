"""One process per role and store: relay, ingest, projection worker, alert router.

Two relays publishing one store to one topic would interleave positions (decision 0007);
two ingest processes on one SQLite store would each keep their own event-time watermark
(0012; on PostgreSQL they share it and fence their partitions instead, 0024); two
projection workers would split the events topic's partitions while each
restores every group's state from one read model; two alert routers on one SQLite store
would both send a due notice (0009; on PostgreSQL they share the work by claims instead,
0023); a rebuild beside a worker would reset tables the worker writes. Each of these
commands holds a lock named after its role for as long as it runs (``rebuild`` holds the
worker's; a relay started with ``--standby`` waits for it, 0022), and a second one stops
with one line saying who holds it:

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
lock is retried for :data:`~infra.advisory_lock.ACQUIRE_GRACE_S` before a second instance
is refused, and a holder that stops normally unlocks explicitly before it disconnects.
:mod:`infra.lock_holder` tells who holds a lock without taking it (``peerpulse status``).
The PostgreSQL half lives in :mod:`infra.advisory_lock`.

With a :class:`infra.standby.Standby`, a second instance waits for the lock instead of
stopping. A *leased* PostgreSQL lock (the relay's: decision 0022) is confirmed every
:data:`~infra.lock_lease.LEASE_WATCH_S`; its holder ends at once (exit 2) when the session is
gone or does not answer, so a successor that waits :data:`~infra.lock_lease.FENCE_S` after
taking the lock knows the old holder publishes no more (:mod:`infra.lock_lease`).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from infra.errors import UserFacingError
from infra.lock_lease import Lease
from infra.settings import Settings
from infra.sql import is_postgres
from infra.standby import Standby, file_marker


class AlreadyRunning(UserFacingError):
    """Another process already plays this role on this store."""


class LockLost(UserFacingError):
    """The PostgreSQL session holding the lock ended while we ran; we stopped."""


def _what(name: str) -> str:
    role, _, topic = name.partition(":")
    return f"peerpulse {role}" + (f" for {topic}" if topic else "")


@contextmanager
def only_one(
    settings: Settings, name: str, *, standby: Standby | None = None, leased: bool = False
) -> Iterator[Lease | None]:
    """Hold the lock ``name`` (e.g. ``"relay:peerpulse.events.v1"``) while the block runs.

    Raises :class:`AlreadyRunning` if another process holds it — or, with ``standby``,
    waits for it (:class:`infra.standby.StoodDown` when told to stop first). ``leased``: on
    PostgreSQL, hold it as a lease and yield the :class:`Lease` (None otherwise).
    """
    if is_postgres(settings):
        from infra.advisory_lock import advisory_lock

        with advisory_lock(settings, name, standby, leased) as lease:
            yield lease
    else:
        with _file_lock(settings, name, standby):
            yield None


def lock_path(settings: Settings, name: str) -> Path:
    """The file whose ``flock`` is the lock ``name`` on a SQLite store."""
    return settings.data_dir / "locks" / f"{name.replace('/', '_')}.lock"


@contextmanager
def _file_lock(settings: Settings, name: str, standby: Standby | None) -> Iterator[None]:
    path = lock_path(settings, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if standby is not None:
            with file_marker(path):
                while not _flock(fd):
                    standby.wait(f"pid {_file_holder(fd)}")
            standby.took_over()
        elif not _flock(fd):
            raise AlreadyRunning(
                f"another {_what(name)} is already running on {settings.data_dir} "
                f"(pid {_file_holder(fd)}); stop it first, or use another PEERPULSE_DATA_DIR"
            )
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _file_holder(fd: int) -> str:
    return os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"


def _key(settings: Settings, name: str) -> int:
    digest = hashlib.blake2b(f"{settings.postgres_schema}:{name}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)
