"""The outbox loop: deliver due notices (singly or as a digest), retry with backoff, settle.

A notice is marked delivered only after the channel accepted it, so a crash in between
re-sends it on restart with the same idempotency key (at-least-once). After the last retry
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
from consumers.alerts.messages import Item, link, render
from consumers.alerts.model import ESCALATED, NOTE_ESCALATED, NOTE_OPS, Notice, Recipient, Routing
from consumers.alerts.refresh import OpsRefresh
from consumers.alerts.store import AlertStore
from consumers.alerts.timing import backoff_delays
from infra import metrics
from infra.settings import AlertSettings

log = logging.getLogger(__name__)


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
    ) -> None:
        self.store, self.directory, self.channels, self.ops = store, directory, channels, ops
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
        units: dict[tuple[str, str], list[tuple[Notice, Item, Recipient | None]]] = {}
        for n in self.store.due_notices(self.clock()):
            try:
                item, reader = self._prepare(n)
            except Exception:
                log.exception("cannot prepare notice %s; will retry", n.key)
                continue
            if item is None:
                continue
            target = reader.coordinator_id if reader else ""
            units.setdefault((n.digest_key or n.key, target), []).append((n, item, reader))
        for (key, _), unit in units.items():
            self._deliver(key, unit)
        metrics.ALERT_OUTBOX_PENDING.set(self.store.pending_count())
        if self.refresh is not None:
            self.refresh.run_once()
        return len(units)

    def tick(self) -> None:
        """Time-driven transitions for alerts whose moment has come."""
        now = self.clock()
        cfg = policy_config(self.settings)
        for alert in self.store.due_for_tick(now):
            routing = self.directory.routing(alert.program_id, alert.group_id)
            d = self.store.transition(
                alert.alert_id, lambda a, t, r=routing: lifecycle.tick(a, r, t, cfg), now
            )
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
            send = self._person_sender(reader, [i for _, i, _ in unit], key)
        ok, tries, error = self._with_retries(send, channel)
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
        self, reader: Recipient | None, items: list[Item], key: str
    ) -> Callable[[], None]:
        def send() -> None:
            if reader is None:
                raise DeliveryError(
                    "no coordinator is assigned to this group or program", permanent=True
                )
            channel = self.channels.get(reader.channel)
            if channel is None:
                raise DeliveryError(f"unknown channel {reader.channel!r}", permanent=True)
            channel.send(reader, render(items, reader, self.public_url), key)

        return send

    def _with_retries(self, send: Callable[[], None], channel: str) -> tuple[bool, int, str]:
        s = self.settings
        delays = backoff_delays(s.attempts, s.backoff_base_s, s.backoff_cap_s)
        error = ""
        for attempt in range(1, s.attempts + 1):
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
