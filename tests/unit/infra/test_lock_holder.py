"""Who holds a role's lock on a SQLite store, asked without taking it (infra/lock_holder.py)."""

from __future__ import annotations

import os

from infra.lock_holder import Holder, _probe, holder
from infra.singleton import lock_path, only_one


def test_the_holder_is_named_while_it_holds_and_nobody_after(sqlite_settings):
    assert holder(sqlite_settings, "relay:events") is None  # never started: no lock file
    with only_one(sqlite_settings, "relay:events"):
        assert holder(sqlite_settings, "relay:events") == Holder(os.getpid())
        assert holder(sqlite_settings, "ingest") is None  # another role's lock
    assert lock_path(sqlite_settings, "relay:events").read_text() == str(os.getpid())
    assert holder(sqlite_settings, "relay:events") is None  # the file stays, the lock went


def test_asking_takes_no_lock_and_the_fallback_probe_agrees(sqlite_settings):
    with only_one(sqlite_settings, "worker"):
        assert _probe(lock_path(sqlite_settings, "worker")) is True
    assert _probe(lock_path(sqlite_settings, "worker")) is False
    holder(sqlite_settings, "worker")
    with only_one(sqlite_settings, "worker"):  # not refused because someone asked
        pass
