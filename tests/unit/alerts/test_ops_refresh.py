"""Open alerts are re-posted to Alertmanager before their ``endsAt`` lease runs out.

The delivery loop runs against an in-memory store, a fake clock and a fake Alertmanager
(httpx's mock transport behind the real channel), so every POST body is inspected.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from pydantic import ValidationError

from consumers.alerts.channels.alertmanager import AlertmanagerChannel
from consumers.alerts.delivery import Deliverer, validity
from consumers.alerts.directory import StaticDirectory
from consumers.alerts.model import ACKNOWLEDGED, DELIVERED, ESCALATED, OPEN_STATUSES, RESOLVED
from consumers.alerts.policy import PolicyConfig
from consumers.alerts.refresh import BATCH
from infra.settings import AlertSettings, Settings
from tests.unit.alerts.factories import FakeClock, health, lapsed, reengaged, routing
from tests.unit.alerts.ledger import Ledger, LedgerStore

WEEK = timedelta(hours=168)


class FakeAlertmanager:
    """``POST /api/v2/alerts`` in memory: records each body, answers 503 while ``down``."""

    url = "http://alertmanager.test"

    def __init__(self) -> None:
        self.posts: list[list[dict]] = []
        self.down = False
        self.client = httpx.Client(transport=httpx.MockTransport(self._handle))

    def _handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            return httpx.Response(503, text="unavailable")
        self.posts.append(json.loads(request.content))
        return httpx.Response(200)

    def alert_ids(self, body: list[dict]) -> set[str]:
        return {a["labels"]["alert_id"] for a in body}


class FakeMail:
    """The e-mail channel, recording ``(address, idempotency key)``."""

    name = "email"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, to, message, key) -> None:
        self.sent.append((to.address, key))


def _loop(led: Ledger, am: FakeAlertmanager | None, clock: FakeClock, **settings):
    s = AlertSettings(alertmanager_url=am.url if am else "", **settings)
    ops = AlertmanagerChannel(am.client, am.url, validity(s)) if am else None
    store, mail, r = LedgerStore(led), FakeMail(), routing()
    directory = StaticDirectory({r.group_id: r}, {})
    sleeps: list[float] = []
    d = Deliverer(
        store, directory, {"email": mail}, ops, "https://pulse.test", s, clock, sleeps.append
    )
    d.sleeps = sleeps
    return d, store, mail


def _without_outbox_posts() -> tuple[FakeClock, Ledger, Any, FakeAlertmanager]:
    """Clock, ledger, routing and Alertmanager where only the refresh posts (ops=False)."""
    return FakeClock(), Ledger(cfg=PolicyConfig(ops=False)), routing(), FakeAlertmanager()


def _ends(a: dict) -> datetime:
    return datetime.fromisoformat(a["endsAt"])


def _refresh_errors() -> float:
    labels = {"channel": "alertmanager", "outcome": "error"}
    return REGISTRY.get_sample_value("peerpulse_alert_delivery_attempts_total", labels) or 0.0


def test_open_alerts_are_reposted_with_a_fresh_lease_once_the_interval_has_passed():
    clock, led, r, am = FakeClock(), Ledger(), routing(), FakeAlertmanager()
    led.receive(lapsed(), r, clock())
    led.receive(health("group-at-risk", "at_risk", "watch"), r, clock())
    d, store, _ = _loop(led, am, clock, ops_refresh_hours=1)
    d.run_once()
    # each post carries the alert, and the alert resolved under its other labels (three
    # severities; a group's health alert also under its episode's other kinds):
    # two outbox posts of one alert, then a refresh of both
    assert [len(b) for b in am.posts] == [3, 9, 12]
    assert [len(am.alert_ids(b)) for b in am.posts] == [1, 1, 2]
    settled = list(store.settled)
    am.posts.clear()
    clock.advance(minutes=59)
    d.run_once()
    assert am.posts == [], "not before the refresh interval"
    clock.advance(minutes=1)
    d.run_once()
    (body,) = am.posts
    assert am.alert_ids(body) == set(led.alerts)
    firing = [a for a in body if _ends(a) == clock() + WEEK]
    assert {(a["labels"]["kind"], a["labels"]["severity"]) for a in firing} == {
        ("member-lapsed", "warning"),
        ("group-at-risk", "critical"),
    }, "severity follows actionability: a group at risk is the one to act on now"
    assert {_ends(a) for a in body if a not in firing} == {clock()}, "other labels resolved"
    assert store.settled == settled and led.pending == {}, "the outbox is not touched"


def test_every_open_status_is_refreshed_and_resolved_alerts_never():
    clock, led, r, am = _without_outbox_posts()
    for status in (*OPEN_STATUSES, RESOLVED):
        (a,) = led.receive(lapsed(member=f"member-{status}"), r, clock()).alerts
        led.alerts[a.alert_id] = replace(a, status=status)
    led.pending.clear()
    d, _, _ = _loop(led, am, clock)
    d.run_once()
    (body,) = am.posts
    open_ids = {a.alert_id for a in led.alerts.values() if a.status != RESOLVED}
    assert len(open_ids) == len(OPEN_STATUSES)
    assert am.alert_ids(body) == open_ids


def test_an_alert_resolved_after_raising_drops_out_of_the_refresh():
    clock, led, r, am = FakeClock(), Ledger(), routing(), FakeAlertmanager()
    led.receive(lapsed(), r, clock())
    d, _, _ = _loop(led, am, clock)
    d.run_once()
    led.receive(reengaged(), r, clock.advance(minutes=10))
    d.run_once()
    assert _ends(am.posts[-1][0]) == clock(), "the outbox posts the resolution (ends now)"
    am.posts.clear()
    clock.advance(hours=2)
    d.run_once()
    assert am.posts == [], "nothing open, nothing refreshed"


def test_a_failed_refresh_is_retried_a_minute_later_and_people_still_hear():
    clock, led, r, am = _without_outbox_posts()
    led.receive(lapsed(), r, clock())
    d, store, mail = _loop(led, am, clock)
    am.down, errors = True, _refresh_errors()
    d.run_once()
    assert [to for to, _ in mail.sent] == ["ana@example.org"], "the coordinator heard"
    assert led.one().status == DELIVERED
    assert _refresh_errors() == errors + 1, "the failed refresh is counted"
    clock.advance(seconds=59)
    d.run_once()
    assert _refresh_errors() == errors + 1, "no retry at every tick while it is down"
    am.down = False
    clock.advance(seconds=1)
    d.run_once()
    (body,) = am.posts
    assert am.alert_ids(body) == {led.one().alert_id}
    clock.advance(seconds=1)
    d.run_once()
    assert len(am.posts) == 1, "after a success, the next refresh waits for the interval"
    assert [o for _, o in store.settled] == ["delivered"] and led.pending == {}
    assert d.sleeps == [], "no in-line retry pauses: a later tick is the retry"


def test_many_open_alerts_are_refreshed_in_batches():
    clock, led, r, am = _without_outbox_posts()
    for i in range(2 * BATCH + 1):
        led.receive(lapsed(member=f"member-{i}"), r, clock())
    led.pending.clear()
    d, _, _ = _loop(led, am, clock)
    d.run_once()
    assert [len(am.alert_ids(b)) for b in am.posts] == [BATCH, BATCH, 1]
    assert set().union(*(am.alert_ids(b) for b in am.posts)) == set(led.alerts)


def test_without_an_alertmanager_url_nothing_is_refreshed():
    clock, led, r = FakeClock(), Ledger(cfg=PolicyConfig(ops=False)), routing()
    led.receive(lapsed(), r, clock())
    d, store, mail = _loop(led, None, clock)
    d.run_once()
    clock.advance(hours=3)
    d.run_once()
    assert d.refresh is None and store.open_reads == 0
    assert len(mail.sent) == 1


def test_refresh_interval_must_be_positive_and_shorter_than_the_lease(monkeypatch):
    monkeypatch.setenv("PEERPULSE_ALERTS_OPS_REFRESH_HOURS", "0.5")
    assert Settings(_env_file=None).alerts.ops_refresh_hours == 0.5
    assert AlertSettings(ops_refresh_hours=6, ops_validity_hours=24)
    with pytest.raises(ValidationError, match="must be less than ops_validity_hours"):
        AlertSettings(ops_refresh_hours=24, ops_validity_hours=24)
    with pytest.raises(ValidationError, match="greater than 0"):
        AlertSettings(ops_refresh_hours=0)


def test_an_alert_acknowledged_after_escalation_leaves_no_critical_copy_firing():
    # Acknowledging turns an escalated alert back to "warning" without a post of its own;
    # the refresh must resolve the critical copy the escalation fired.
    clock, led, r, am = _without_outbox_posts()
    (a,) = led.receive(lapsed(), r, clock()).alerts
    led.alerts[a.alert_id] = replace(a, status=ESCALATED)
    led.alerts[a.alert_id] = replace(a, status=ACKNOWLEDGED, acknowledged_by="coord-ana")
    led.pending.clear()
    d, _, _ = _loop(led, am, clock)
    d.run_once()
    (body,) = am.posts
    by_severity = {x["labels"]["severity"]: _ends(x) for x in body}
    assert by_severity == {"info": clock(), "warning": clock() + WEEK, "critical": clock()}
