"""The alert lifecycle is durable and queryable on SQLite and PostgreSQL."""

from __future__ import annotations

from consumers.alerts.directory import StaticDirectory
from consumers.alerts.policy import PolicyConfig
from tests.unit.alerts.factories import (
    PROGRAM,
    FakeClock,
    container,
    lapsed,
    reengaged,
    routing,
)


def _store(settings, clock):
    r = routing()
    c = container(settings, StaticDirectory({r.group_id: r}, {}), clock)
    return c.alert_store, r


def test_intent_is_applied_once_and_its_lifecycle_is_queryable(store_settings):
    clock = FakeClock()
    store, r = _store(store_settings, clock)
    assert store.receive(lapsed(), r, clock(), PolicyConfig(ops=False)) is not None
    assert store.receive(lapsed(), r, clock(), PolicyConfig(ops=False)) is None  # redelivered
    (alert,) = store.list(status="open", program_ids=[PROGRAM])
    assert store.list(program_ids=["someone-else"]) == []
    acked = store.acknowledge(alert.alert_id, "coord-ana", "Called her, she is back next week")
    assert acked.status == "acknowledged"
    store.receive(reengaged(), r, clock(), PolicyConfig(ops=False))
    assert [e.event for e in store.history(alert.alert_id)] == [
        "raised",
        "acknowledged",
        "resolved",
    ]
    assert store.get(alert.alert_id).ack_comment == "Called her, she is back next week"
    assert store.list(status="resolved")[0].alert_id == alert.alert_id


def test_lifecycle_survives_a_new_process(sqlite_settings):
    clock = FakeClock()
    store, r = _store(sqlite_settings, clock)
    store.receive(lapsed(), r, clock(), PolicyConfig(ops=False))
    again, _ = _store(sqlite_settings, clock)
    assert [a.status for a in again.list()] == ["raised"]
    assert len(again.due_notices(clock())) == 1
