"""Action links on SQLite and PostgreSQL: used once, even by two processes' worth of
threads at the same moment; the signing secret is made once and shared."""

from __future__ import annotations

import threading
from datetime import timedelta

from consumers.alerts.directory import StaticDirectory
from consumers.alerts.link_keys import stored_secret
from consumers.alerts.policy import PolicyConfig
from consumers.alerts.reads import StoreAlertReads
from consumers.alerts.sql import Database
from consumers.alerts.store import AlertStore
from infra.links import LinkSigner
from tests.unit.alerts.factories import FakeClock, container, lapsed, routing


def _alert(settings, clock):
    r = routing()
    c = container(settings, StaticDirectory({r.group_id: r}, {}), clock)
    c.alert_store.receive(lapsed(), r, clock(), PolicyConfig(ops=False))
    (alert,) = c.alert_store.list(status="open")
    return c.alert_store, alert


def test_a_link_acts_once_and_a_replay_changes_nothing(store_settings):
    clock = FakeClock()
    store, alert = _alert(store_settings, clock)
    reads = StoreAlertReads(lambda: store)
    link = reads.signer.open(reads.signer.token(alert.alert_id, "ack", "coord-ana", clock()),
                             clock())  # fmt: skip
    assert reads.link_used(link.nonce) is None
    done = reads.act(link)
    assert done.status == "acknowledged" and done.acknowledged_by == "link:coord-ana"
    assert reads.link_used(link.nonce) == clock()
    assert reads.act(link) is None
    assert [e.event for e in store.history(alert.alert_id)] == ["raised", "acknowledged"]


def test_racing_uses_of_one_link_succeed_exactly_once(store_settings):
    clock = FakeClock()
    store, alert = _alert(store_settings, clock)
    signer = StoreAlertReads(lambda: store).signer
    link = signer.open(signer.token(alert.alert_id, "snooze_week", "c", clock()), clock())
    results, barrier = [], threading.Barrier(4)

    def use() -> None:
        mine = StoreAlertReads(lambda: AlertStore(Database(store_settings), clock=clock))
        barrier.wait()
        results.append(mine.act(link))

    threads = [threading.Thread(target=use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sum(r is not None for r in results) == 1 and len(results) == 4
    snoozed = store.get(alert.alert_id)
    assert snoozed.status == "snoozed" and snoozed.snoozed_until == clock() + timedelta(days=7)


def test_the_stored_secret_is_made_once_and_signs_for_every_process(store_settings):
    clock = FakeClock()
    store, alert = _alert(store_settings, clock)
    first = stored_secret(store.db)
    again = stored_secret(Database(store_settings))
    assert first == again and len(first) >= 32
    token = LinkSigner(first).token(alert.alert_id, "ack", "c", clock())
    assert StoreAlertReads(lambda: store).signer.open(token, clock()).alert_id == alert.alert_id
    configured = StoreAlertReads(lambda: store, "a-configured-secret-of-length")
    assert (
        configured.signer.open(
            LinkSigner(b"a-configured-secret-of-length").token("x", "ack", "c", clock()), clock()
        ).alert_id
        == "x"
    )
