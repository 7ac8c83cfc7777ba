"""The outbox loop: deliver due notices (singly or as a digest), retry with backoff, settle.

A notice is marked delivered only after the channel accepted it, so a crash in between
re-sends it on restart with the same idempotency key (at-least-once). Several routers may
run this loop on one store: each sends only what it claimed, and holds its claim before
every attempt (:mod:`consumers.alerts.claims`, decision 0023). After the last retry
the notice is marked failed and the failure is logged on the alert: visible, never dropped.
Anything else that breaks while one notice is rendered or sent (a :class:`DeliveryError`
is the only failure worth retrying) fails that notice at once, so no notice can hold up
the ones behind it.
Each pass also keeps open alerts alive in Alertmanager (:mod:`consumers.alerts.refresh`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from consumers.alerts import lifecycle
from consumers.alerts.channels import Channel, DeliveryError
from consumers.alerts.channels.alertmanager import AlertmanagerChannel
from consumers.alerts.config import policy_config
from consumers.alerts.directory import CoordinatorDirectory
from consumers.alerts.messages import Item, Links, link, render
from consumers.alerts.model import ESCALATED, NOTE_ESCALATED, NOTE_OPS, Notice, Recipient, Routing
from consumers.alerts.refresh import OpsRefresh
from consumers.alerts.store import AlertStore
from consumers.alerts.timing import backoff_delays
from infra import metrics
from infra.links import LinkSigner
from infra.settings import AlertSettings

log = logging.getLogger(__name__)

CLAIM_BATCH = 10
"""Notices claimed at a time: small, so several routers split a burst (decision 0023)."""
CLAIM_ROUNDS = 20
"""Claims per pass at most (200 notices, as one pass sent before claims)."""


class Deliverer:
    """Drains the outbox and moves alerts along in time (escalation, snooze end)."""

    def __init__(
        self,
        store: AlertStore,
        directory: CoordinatorDirectory,
        channels: dict[str, Channel],
        ops: AlertmanagerChannel | None,
        public_url: str,
        settings: AlertSettings,
        clock: Callable[[], datetime],
        sleeper: Callable[[float], None],
        signer: Callable[[], LinkSigner] | None = None,
        outcomes: Callable[[set[str]], dict[str, dict[str, int]]] | None = None,
        router_id: str = "router",
    ) -> None:
        """``signer()``: the action-link signer (made on first use); ``outcomes(program
        ids)``: each program's flag-episode counts for the end of a digest; ``router_id``:
        whose claims this loop makes (unique per process where several routers run)."""
        self.router_id, self._took_back = router_id, False
        self.store, self.directory, self.channels, self.ops = store, directory, channels, ops
        self._signer, self._outcomes = signer, outcomes
        self.public_url, self.settings = public_url, settings
        self.clock, self.sleeper = clock, sleeper
        self.refresh = (
            OpsRefresh(store, directory, ops, public_url, refresh_interval(settings), clock)
            if ops is not None
            else None
        )

    def run_once(self) -> int:
        """Escalate/unsnooze what is due, deliver every due notice, then re-post open alerts
        to Alertmanager if their refresh is due; returns sends (notices or digests)."""
        self.tick()
        if not self._took_back:  # claims an earlier life of this router left (SQLite's id)
            self.store.release_all(self.router_id)
            self._took_back = True
        sent = 0
        for _ in range(CLAIM_ROUNDS):  # small claims: routers share a burst between them
            claimed = self.store.claim_due(
                self.clock(), self.router_id, self._lease_end(), limit=CLAIM_BATCH
            )
            sent += self._deliver_claimed(claimed)
            if len(claimed) < CLAIM_BATCH:
                break
        metrics.ALERT_OUTBOX_PENDING.set(self.store.pending_count())
        if self.refresh is not None:
            self.refresh.run_once()
        return sent

    def _deliver_claimed(self, claimed: list[Notice]) -> int:
        """Send what this router claimed, a digest as one message; returns the sends. A
        notice that cannot be prepared stays claimed, so it is tried again (by any router)
        once the claim's lease runs out."""
        units: dict[tuple[str, str], list[tuple[Notice, Item, Recipient | None]]] = {}
        for n in claimed:
            try:
                item, reader = self._prepare(n)
            except Exception:
                log.exception("cannot prepare notice %s; will retry after its claim", n.key)
                continue
            if item is None:
                continue
            target = reader.coordinator_id if reader else ""
            units.setdefault((n.digest_key or n.key, target), []).append((n, item, reader))
        for (key, _), unit in units.items():
            self._deliver(key, unit)
        return len(units)

    def tick(self) -> None:
        """Time-driven transitions for alerts whose moment has come."""
        now = self.clock()
        cfg = policy_config(self.settings)
        for alert in self.store.due_for_tick(now):
            try:
                routing = self.directory.routing(alert.program_id, alert.group_id)
                d = self.store.transition(
                    alert.alert_id, lambda a, t, r=routing: lifecycle.tick(a, r, t, cfg), now
                )
            except Exception:  # one alert's timer must not hold up every delivery
                log.exception("timer of alert %s failed; retried next pass", alert.alert_id)
                continue
            if any(a.status == ESCALATED for a in d.alerts):
                metrics.ALERT_ESCALATIONS.inc()

    def _prepare(self, n: Notice) -> tuple[Item | None, Recipient | None]:
        alert = self.store.get(n.alert_id)
        if alert is None:
            return None, None
        routing = self.directory.routing(alert.program_id, alert.group_id)
        name = self.directory.member_name(alert.member_id) if alert.member_id else ""
        item = Item(alert, n.purpose, routing, name, n.key)
        return item, (None if n.purpose == NOTE_OPS else _reader(n, routing))

    def _deliver(self, key: str, unit: list[tuple[Notice, Item, Recipient | None]]) -> None:
        n0, item0, reader = unit[0]
        if n0.purpose == NOTE_OPS:
            channel = "alertmanager"
            send = self._ops_sender(item0)
        else:
            channel = reader.channel if reader else "none"
            issued = self.clock().replace(minute=0, second=0, microsecond=0)
            send = self._person_sender(reader, [i for _, i, _ in unit], key, issued)
        outcome = self._with_retries(send, channel, [n.key for n, _, _ in unit])
        if outcome is None:
            log.info("notice %s is no longer this router's to send; left to its owner", key)
            return
        ok, tries, error = outcome
        now = self.clock()
        if ok:
            self.store.settle_all(
                [
                    (n, lambda a, n=n, i=item: lifecycle.delivered(a, n, now, i.routing, i.alert))
                    for n, item, _ in unit
                ],
                "delivered",
                channel,
                tries,
                None,
                now,
            )
            for n, _, _ in unit:
                metrics.ALERT_DELIVERIES.labels(channel, n.purpose).inc()
            return
        for n, _, _ in unit:
            log.error("notice %s failed after %d tries: %s", n.key, tries, error)
            metrics.ALERT_DELIVERY_FAILURES.labels(channel).inc()
        self.store.settle_all(
            [(n, lambda a, n=n: lifecycle.failed(a, n, error or "", now)) for n, _, _ in unit],
            "failed",
            channel,
            tries,
            error,
            now,
        )

    def _ops_sender(self, item: Item) -> Callable[[], None]:
        def send() -> None:
            if self.ops is None:
                raise DeliveryError("no Alertmanager configured", permanent=True)
            self.ops.push(item.alert, item.routing, self.clock(), link(self.public_url, item.alert))

        return send

    def _person_sender(
        self, reader: Recipient | None, items: list[Item], key: str, issued: datetime
    ) -> Callable[[], None]:
        """Sends one message; its action links count from ``issued`` (the hour it is sent)
        and their nonces come from ``key``, so a message sent again after a crash carries
        the same links."""

        def send() -> None:
            if reader is None:
                raise DeliveryError(
                    "no coordinator is assigned to this group or program", permanent=True
                )
            channel = self.channels.get(reader.channel)
            if channel is None:
                raise DeliveryError(f"unknown channel {reader.channel!r}", permanent=True)
            links = Links(self._signer(), issued, key) if self._signer else None
            counts = None
            if self._outcomes is not None and len(items) > 1:
                counts = self._outcomes({i.alert.program_id for i in items})
            channel.send(reader, render(items, reader, self.public_url, links, counts), key)

        return send

    def _lease_end(self) -> datetime:
        return self.clock() + timedelta(seconds=self.settings.claim_lease_s)

    def _with_retries(
        self, send: Callable[[], None], channel: str, keys: list[str]
    ) -> tuple[bool, int, str] | None:
        """``(sent, tries, last error)``, or None when the claim on ``keys`` was lost
        before an attempt (nothing more is sent; whoever holds them now settles them)."""
        s = self.settings
        delays = backoff_delays(s.attempts, s.backoff_base_s, s.backoff_cap_s)
        error = ""
        for attempt in range(1, s.attempts + 1):
            if not self.store.hold(keys, self.router_id, self._lease_end()):
                return None
            try:
                send()
                metrics.ALERT_DELIVERY_ATTEMPTS.labels(channel, "ok").inc()
                return True, attempt, ""
            except DeliveryError as exc:
                metrics.ALERT_DELIVERY_ATTEMPTS.labels(channel, "error").inc()
                error = str(exc)
                if exc.permanent or attempt == s.attempts:
                    return False, attempt, error
                self.sleeper(delays[attempt - 1])
            except Exception as exc:  # a poison notice: it alone fails, the others go on
                metrics.ALERT_DELIVERY_ATTEMPTS.labels(channel, "error").inc()
                log.exception("rendering or sending through %s broke", channel)
                return False, attempt, f"cannot be sent: {exc.__class__.__name__}: {exc}"
        return False, s.attempts, error


def _reader(n: Notice, routing: Routing) -> Recipient | None:
    """Who reads it now: the addressed person if still responsible, else whoever is."""
    for who in (routing.coordinator, routing.lead):
        if who is not None and who.coordinator_id == n.recipient_id:
            return who
    return routing.lead if n.purpose == NOTE_ESCALATED else routing.coordinator


def validity(settings: AlertSettings) -> timedelta:
    """How long a firing ops alert stays active in Alertmanager without a refresh."""
    return timedelta(hours=settings.ops_validity_hours)


def refresh_interval(settings: AlertSettings) -> timedelta:
    """How often open alerts are re-posted to Alertmanager (well inside :func:`validity`)."""
    return timedelta(hours=settings.ops_refresh_hours)
