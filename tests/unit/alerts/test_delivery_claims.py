"""The delivery loop sends only what it still holds (decision 0023): before every attempt
it holds its claim, and a notice whose claim passed to another router (or that was
cancelled) is neither sent nor settled here; one it holds is sent, then settled."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from pydantic import ValidationError

from consumers.alerts.delivery import Deliverer
from consumers.alerts.directory import StaticDirectory
from consumers.alerts.policy import PolicyConfig
from infra.settings import AlertSettings
from tests.unit.alerts.factories import FakeClock, lapsed, routing
from tests.unit.alerts.ledger import Ledger, LedgerStore


class FakeMail:
    """The e-mail channel, recording the idempotency key of each message."""

    name = "email"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, to, message, key) -> None:
        self.sent.append(key)


@dataclass
class ClaimingStore(LedgerStore):
    """A ledger whose claims can be lost to another router between claim and send."""

    lost: bool = False
    holds: list[tuple[tuple[str, ...], str]] = field(default_factory=list)

    def hold(self, keys, me, until) -> bool:
        self.holds.append((tuple(keys), me))
        return not self.lost and super().hold(keys, me, until)


def _loop(lost: bool) -> tuple[Deliverer, ClaimingStore, FakeMail, Ledger]:
    clock, led, r = FakeClock(), Ledger(cfg=PolicyConfig(ops=False)), routing()
    led.receive(lapsed(), r, clock())
    store, mail = ClaimingStore(led, lost=lost), FakeMail()
    d = Deliverer(store, StaticDirectory({r.group_id: r}, {}), {"email": mail}, None,
                  "https://pulse.test", AlertSettings(), clock, lambda s: None,
                  router_id="host:1:abc")  # fmt: skip
    return d, store, mail, led


def test_a_notice_still_held_is_sent_then_settled():
    d, store, mail, led = _loop(lost=False)
    (key,) = led.pending
    assert led.pending[key].not_before <= d.clock(), "due now (a lapse is urgent)"
    d.run_once()
    assert mail.sent == [key]
    assert store.holds == [((key,), "host:1:abc")] and store.settled == [(key, "delivered")]


def test_a_notice_whose_claim_was_lost_is_neither_sent_nor_settled_here():
    d, store, mail, led = _loop(lost=True)
    (key,) = led.pending
    d.run_once()
    assert mail.sent == [] and store.settled == []
    assert list(led.pending) == [key], "left pending for the router that holds it now"


def test_a_claim_lease_shorter_than_one_send_is_refused_with_one_line():
    with pytest.raises(ValidationError, match="claim_lease_s \\(10\\) must be more than"):
        AlertSettings(claim_lease_s=10, smtp_timeout_s=10)
    assert AlertSettings(claim_lease_s=11, smtp_timeout_s=10, http_timeout_s=5).claim_lease_s == 11


@dataclass
class BrokenTimerStore(LedgerStore):
    """A ledger where one alert is due for its timer and its transition always fails."""

    def due_for_tick(self, now):
        return list(self.ledger.alerts.values())[:1]

    def transition(self, alert_id, change, now=None):
        raise RuntimeError("a poison alert")


def test_an_alert_whose_timer_fails_does_not_stop_the_deliveries():
    clock, led, r = FakeClock(), Ledger(cfg=PolicyConfig(ops=False)), routing()
    led.receive(lapsed(), r, clock())
    store, mail = BrokenTimerStore(led), FakeMail()
    d = Deliverer(store, StaticDirectory({r.group_id: r}, {}), {"email": mail}, None,
                  "https://pulse.test", AlertSettings(), clock, lambda s: None,
                  router_id="host:1:abc")  # fmt: skip
    (key,) = led.pending
    d.run_once()
    assert mail.sent == [key]
