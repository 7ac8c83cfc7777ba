"""Processes that share a role instead of holding it alone (the alert routers on
PostgreSQL, decision 0023): each marks itself for ``peerpulse status`` with a *shared*
session-level advisory lock on the role's lock key (:func:`infra.singleton._key`), on a
connection of its own whose ``application_name`` carries its pid. A shared lock never
refuses anyone; the server drops it with the session, so a SIGKILLed process disappears
from the list a moment after its death. :func:`infra.lock_holder.sharers` lists them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from infra.settings import Settings


@contextmanager
def sharing(settings: Settings, name: str) -> Iterator[None]:
    """Be listed as one of the processes of role ``name`` while the block runs.

    On a SQLite store the lock is a shared ``flock`` on the role's lock file (the file
    :func:`infra.singleton.only_one` takes exclusively): it waits while a process holds
    the role alone (a rebuild holds the projection workers' lock), and keeps such a
    process out while any sharer runs."""
    from infra.singleton import _key
    from infra.sql import is_postgres, postgres

    if not is_postgres(settings):
        with _shared_file_lock(settings, name):
            yield
        return

    label = f"peerpulse {name} pid={os.getpid()}"[:63]
    conn = postgres(settings, autocommit=True, application_name=label)
    try:
        conn.execute("SELECT pg_advisory_lock_shared(%s)", (_key(settings, name),))
        yield
    finally:
        with suppress(Exception):
            conn.close()


@contextmanager
def _shared_file_lock(settings: Settings, name: str) -> Iterator[None]:
    import fcntl

    from infra.singleton import lock_path

    path = lock_path(settings, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)  # waits while a process holds the role alone
        os.ftruncate(fd, 0)  # one of the sharers, for the refusal of an exclusive holder
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)
