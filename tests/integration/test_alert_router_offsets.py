"""The router commits Kafka offsets only after the intents are durable; poison is kept
visible and does not stop the stream."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import pytest

from consumers.alerts.directory import StaticDirectory
from consumers.alerts.intents import encode
from consumers.alerts.policy import PolicyConfig
from consumers.alerts.router import AlertRouter
from tests.unit.alerts.factories import FakeClock, container, lapsed, routing


class FakeConsumer:
    """Hands out one batch; records commits and seeks."""

    def __init__(self, values: list[bytes], on_commit) -> None:
        tp = ("t", 0)
        self.batch = {tp: [SimpleNamespace(offset=i, value=v) for i, v in enumerate(values)]}
        self.on_commit, self.commits, self.seeks = on_commit, 0, []

    def poll(self, timeout_ms: int):
        return self.batch

    def commit(self) -> None:
        self.on_commit()
        self.commits += 1

    def seek(self, tp, offset: int) -> None:
        self.seeks.append(offset)

    def assignment(self) -> set:
        return set()


def _router(settings, values, on_commit=lambda: None):
    clock, r = FakeClock(), routing()
    c = container(settings, StaticDirectory({r.group_id: r}, {}), clock)
    consumer = FakeConsumer(values, on_commit)
    return (
        AlertRouter(consumer, c.alert_store, c.alert_directory, PolicyConfig(ops=False), clock),
        c.alert_store,
        consumer,
    )


def test_offsets_are_committed_after_the_alert_is_durable(sqlite_settings):
    seen_at_commit = []
    router, store, consumer = _router(
        sqlite_settings,
        [encode(lapsed(member="m-1")), b"{garbage", encode(lapsed(member="m-2"))],
        on_commit=lambda: seen_at_commit.append(len(store.list())),
    )
    assert router.poll_once() == 3
    assert seen_at_commit == [2], "both alerts were in SQL before the offset moved"
    rejected = [e for e in store.history("") if e.event == "rejected"]
    assert len(rejected) == 1 and "{garbage" in rejected[0].note


def test_a_failing_store_commits_nothing_and_rewinds(sqlite_settings, monkeypatch):
    router, store, consumer = _router(sqlite_settings, [encode(lapsed())])

    def broken(*a, **kw):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(store, "receive", broken)
    with pytest.raises(sqlite3.OperationalError):
        router.poll_once()
    assert consumer.commits == 0 and consumer.seeks == [0]


def test_an_intent_that_fails_on_its_own_is_quarantined_and_the_rest_applied(
    store_settings, monkeypatch
):
    bad, good = lapsed(member="m-bad"), lapsed(member="m-2")
    router, store, consumer = _router(store_settings, [encode(bad), encode(good)])
    receive = store.receive

    def fails_for_one(intent, *a, **kw):
        if intent.member_id == "m-bad":
            raise ValueError("detail the policy cannot read")
        return receive(intent, *a, **kw)

    monkeypatch.setattr(store, "receive", fails_for_one)
    assert router.poll_once() == 2
    assert consumer.commits == 1 and consumer.seeks == []
    assert [a.member_id for a in store.list()] == ["m-2"]
    rejected = [e for e in store.history("") if e.event == "rejected"]
    assert len(rejected) == 1
    assert "ValueError: detail the policy cannot read" in rejected[0].note
