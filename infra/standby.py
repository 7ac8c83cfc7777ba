"""Standing by for a role's lock: wait while another process holds it, take over when it is free.

A second ``peerpulse relay --standby`` does not stop with "already running"
(:class:`infra.singleton.AlreadyRunning`): :func:`infra.singleton.only_one` tries the lock
every :data:`POLL_S` seconds and tells a :class:`Standby` who holds it each time it finds it
held. The standby logs that once per holder, shows ``peerpulse_role_active{role}`` 0 until it
takes over (then 1), and marks itself for ``peerpulse status`` (:mod:`infra.lock_holder`):

- SQLite store: an exclusive ``flock`` on ``<data_dir>/locks/<name>.standby.<pid>``, removed
  when it takes over or leaves (a SIGKILLed standby's file stays, but unlocked, so unseen);
- PostgreSQL: a *shared* advisory lock on :func:`standby_name` held by the waiting session.

SIGTERM while standing by ends the wait (:meth:`Standby.stop`): the command then returns 0
without having run. See docs/decisions/0022-relay-standby.md.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from infra import metrics

POLL_S = 1.0
"""How often a standby tries the lock."""
log = logging.getLogger(__name__)


class StoodDown(Exception):
    """A standby was told to stop (SIGTERM) before it took the lock: it never ran."""


def standby_name(name: str) -> str:
    """The lock whose shared holders are the standbys of lock ``name`` (PostgreSQL)."""
    return f"{name}#standby"


def marker_glob(lock: Path) -> str:
    """The glob of the standby marker files beside a SQLite lock file."""
    return f"{lock.stem}.standby.*"


class Standby:
    """One process's wait for the lock ``name`` of role ``role`` (e.g. ``relay``)."""

    def __init__(self, role: str, poll: float = POLL_S) -> None:
        self.role, self.poll = role, poll
        self.stopped = threading.Event()
        self.waited = False
        """True once the lock was found held at least once (this process took over)."""
        self._told: str | None = None
        metrics.ROLE_ACTIVE.labels(role).set(0)

    def stop(self) -> None:
        """Give up waiting (SIGTERM handler); :meth:`wait` then raises :class:`StoodDown`."""
        self.stopped.set()

    def wait(self, holder: str) -> None:
        """The lock is held by ``holder`` (``pid 42``): say so once, wait :attr:`poll`
        seconds; raises :class:`StoodDown` when told to stop."""
        if holder != self._told:
            log.info("standing by for the %s lock held by %s", self.role, holder)
            self._told = holder
        self.waited = True
        if self.stopped.wait(self.poll):
            raise StoodDown(f"the standby {self.role} stopped before taking over")

    def took_over(self) -> None:
        """The lock is ours: the role is active in this process."""
        metrics.ROLE_ACTIVE.labels(self.role).set(1)
        if self.waited:
            log.info("took over the %s lock", self.role)


@contextmanager
def file_marker(lock: Path) -> Iterator[None]:
    """Mark this process as a standby of the SQLite lock file ``lock`` while the block runs."""
    path = lock.with_name(f"{lock.stem}.standby.{os.getpid()}")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        with suppress(FileNotFoundError):
            path.unlink()
        os.close(fd)
