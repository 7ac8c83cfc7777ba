"""Who holds a role's singleton lock (:mod:`infra.singleton`), asked without taking it.

For ``peerpulse status``: a lock is only looked at, never tried, so a role starting at
that moment is never refused because of the question. SQLite store: the lock file's
``flock`` as ``/proc/locks`` lists it (elsewhere: a shared lock tried and dropped at once),
and the pid the holder wrote into the file. PostgreSQL: the advisory lock in ``pg_locks``,
and the pid in its session's ``application_name`` with the session's client address (the
holder may run on another host). :func:`standbys` lists the processes standing by for a
lock (:mod:`infra.standby`): their flocked marker files, or the sessions sharing the
standby lock.
"""

from __future__ import annotations

import fcntl
import os
import re
from pathlib import Path
from typing import NamedTuple

from infra.settings import Settings
from infra.singleton import _key, lock_path
from infra.sql import is_postgres
from infra.standby import marker_glob, standby_name


class Holder(NamedTuple):
    """Who holds a role's lock: its pid (None when not readable) and, on PostgreSQL, the
    client address of its lock session (None for a local socket)."""

    pid: int | None
    host: str | None = None


def holder(settings: Settings, name: str) -> Holder | None:
    """Who holds the lock ``name`` now, or None when nobody does — without taking it, so
    a role starting at that moment is never refused because of the question (for
    ``peerpulse status``)."""
    if is_postgres(settings):
        return _session_holder(settings, name)
    return _file_holder(settings, name)


def standbys(settings: Settings, name: str) -> tuple[Holder, ...]:
    """The processes standing by for the lock ``name``, by pid (for ``peerpulse status``)."""
    if is_postgres(settings):
        return _session_holders(settings, standby_name(name))
    lock = lock_path(settings, name)
    found = []
    for marker in sorted(lock.parent.glob(marker_glob(lock))):
        try:
            inode = marker.stat().st_ino
        except FileNotFoundError:
            continue  # it took over or left meanwhile
        pid = marker.name.rsplit(".", 1)[1]
        if pid.isdigit() and _flocked(inode, marker):
            found.append(Holder(int(pid)))
    return tuple(found)


def sharers(settings: Settings, name: str) -> tuple[Holder, ...]:
    """The processes sharing role ``name`` (:mod:`infra.presence`; PostgreSQL only, where
    the alert routers run side by side: decision 0023), by pid."""
    return _session_holders(settings, name) if is_postgres(settings) else ()


def _file_holder(settings: Settings, name: str) -> Holder | None:
    path = lock_path(settings, name)
    try:
        inode, text = path.stat().st_ino, path.read_text(errors="replace").strip()
    except FileNotFoundError:
        return None
    if not _flocked(inode, path):
        return None
    return Holder(int(text) if text.isdigit() else None)


def _flocked(inode: int, path: Path) -> bool:
    """True when some process holds an exclusive ``flock`` on the file with ``inode``:
    read from ``/proc/locks`` (Linux); elsewhere a shared lock is tried and dropped."""
    try:
        table = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return _probe(path)
    for line in table:
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 4242 fe:00:1474578 0 EOF"; waiters carry "->"
        if (len(fields) >= 6 and fields[1] == "FLOCK" and fields[3] == "WRITE"
                and int(fields[5].rsplit(":", 1)[1]) == inode):  # fmt: skip
            return True
    return False


def _probe(path: Path) -> bool:
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops the shared lock just taken
    return False


def _session_holder(settings: Settings, name: str) -> Holder | None:
    found = _session_holders(settings, name, exclusive=True)
    return found[0] if found else None


def _session_holders(
    settings: Settings, name: str, *, exclusive: bool = False
) -> tuple[Holder, ...]:
    """The sessions holding the advisory lock ``name`` (shared holders: every one)."""
    from infra.sql import postgres

    unsigned = _key(settings, name) & 0xFFFFFFFFFFFFFFFF
    mode = "ExclusiveLock" if exclusive else "ShareLock"
    with postgres(settings, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT a.application_name, host(a.client_addr) FROM pg_locks l "
            "LEFT JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' "
            "AND l.granted AND l.classid::bigint = %s AND l.objid::bigint = %s "
            "AND l.objsubid = 1 AND l.mode = %s ORDER BY l.pid",
            (unsigned >> 32, unsigned & 0xFFFFFFFF, mode),
        ).fetchall()
    return tuple(_session(app, host) for app, host in rows)


def _session(application_name: str | None, host: str | None) -> Holder:
    found = re.search(r"\bpid=(\d+)", application_name or "")
    return Holder(int(found.group(1)) if found else None, host)
