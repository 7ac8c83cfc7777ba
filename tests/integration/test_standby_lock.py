"""A standby waits for a role's lock and is listed while it waits (infra/standby.py), and a
leased lock ends its holder when its session stops answering (infra/lock_lease.py)."""

from __future__ import annotations

import os
import threading
import time

import pytest

from infra import metrics
from infra.lock_holder import holder, standbys
from infra.lock_lease import LEASE_S, Lease
from infra.singleton import only_one
from infra.standby import Standby, StoodDown


def _active() -> float:
    return metrics.ROLE_ACTIVE.labels("relay")._value.get()


def test_a_standby_takes_the_lock_once_its_holder_lets_go(store_settings):
    took, standby = threading.Event(), Standby("relay", poll=0.05)

    def wait() -> None:
        with only_one(store_settings, "relay:events", standby=standby):
            took.set()

    with only_one(store_settings, "relay:events"):
        waiter = threading.Thread(target=wait)
        waiter.start()
        deadline = time.monotonic() + 10
        while not standbys(store_settings, "relay:events"):
            assert time.monotonic() < deadline, "the standby is not listed"
            time.sleep(0.05)
        assert [h.pid for h in standbys(store_settings, "relay:events")] == [os.getpid()]
        time.sleep(0.3)
        assert not took.is_set() and standby.waited and _active() == 0
    waiter.join(10)
    assert took.is_set() and _active() == 1
    assert standbys(store_settings, "relay:events") == ()
    assert holder(store_settings, "relay:events") is None  # it ran and let go


def test_a_standby_told_to_stop_gives_up_without_the_lock(store_settings):
    standby = Standby("relay", poll=0.05)
    with only_one(store_settings, "relay:events"):
        threading.Timer(0.3, standby.stop).start()
        with pytest.raises(StoodDown), only_one(store_settings, "relay:events", standby=standby):
            pytest.fail("the standby took a held lock")
        assert standbys(store_settings, "relay:events") == ()
        assert holder(store_settings, "relay:events").pid == os.getpid()


def test_a_lease_ends_its_holder_when_a_question_stays_unanswered(monkeypatch):
    ended = threading.Event()
    lease = Lease("relay", "lost")
    monkeypatch.setattr(lease, "end", ended.set)
    done = threading.Event()
    lease.start(done)
    try:
        lease.asking()
        lease.answered()
        lease.check()  # fresh: returns at once
        assert not ended.is_set()
        lease.asking()  # and no answer comes (a dead link)
        assert ended.wait(LEASE_S + 1.0), "the lease did not end its holder"
    finally:
        done.set()


def test_after_a_pause_a_lease_waits_for_a_fresh_answer(monkeypatch):
    ended = threading.Event()
    lease = Lease("relay", "lost")
    monkeypatch.setattr(lease, "end", ended.set)
    lease.confirmed -= 60  # as after SIGSTOP/SIGCONT: the last answer is a minute old
    threading.Timer(0.3, lambda: (lease.asking(), lease.answered())).start()
    started = time.monotonic()
    lease.check()
    assert not ended.is_set() and 0.25 < time.monotonic() - started < LEASE_S
