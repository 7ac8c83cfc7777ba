"""An in-memory stand-in for the alert store so policy tests read as stories."""

from __future__ import annotations

from dataclasses import dataclass, field

from consumers.alerts import lifecycle
from consumers.alerts.model import (
    DELIVERED,
    DORMANT,
    LAPSED,
    SNOOZED,
    Alert,
    AlertIntent,
    Decision,
    LogEntry,
    Notice,
)
from consumers.alerts.policy import Context, PolicyConfig, decide


@dataclass
class Ledger:
    """Applies decisions the way the SQL store does (cancel first, then insert)."""

    cfg: PolicyConfig = field(default_factory=PolicyConfig)
    alerts: dict[str, Alert] = field(default_factory=dict)
    log: list[LogEntry] = field(default_factory=list)
    pending: dict[str, Notice] = field(default_factory=dict)
    cancelled: list[Notice] = field(default_factory=list)

    def apply(self, d: Decision) -> Decision:
        for alert_id in d.cancel_pending:
            for key, n in list(self.pending.items()):
                if n.alert_id == alert_id and n.recipient_id != "ops":
                    self.cancelled.append(self.pending.pop(key))
        for key in d.cancel_notices:
            if key in self.pending:
                self.cancelled.append(self.pending.pop(key))
        for a in d.alerts:
            self.alerts[a.alert_id] = a
        self.log += d.log
        for n in d.notices:
            self.pending.setdefault(n.key, n)
        return d

    def context(self, intent: AlertIntent, routing) -> Context:
        open_ = [a for a in self.alerts.values() if a.is_open and a.group_id == intent.group_id]
        current = next((a for a in open_ if a.alert_key == intent.alert_key), None)
        health = next((a for a in open_ if a.alert_key.startswith("health:")), None)
        lapses = tuple(a for a in open_ if a.kind == LAPSED)
        waiting = tuple(
            n for n in self.pending.values() if current and n.alert_id == current.alert_id
        )
        return Context(routing, current, health, lapses, waiting)

    def receive(self, intent: AlertIntent, routing, now) -> Decision:
        return self.apply(decide(intent, self.context(intent, routing), now, self.cfg))

    def deliver_due(self, routing, now) -> list[Notice]:
        """Deliver every pending notice whose time has come, like the outbox loop."""
        due = [n for n in self.pending.values() if n.not_before <= now]
        for n in due:
            del self.pending[n.key]
            alert = self.alerts[n.alert_id]
            self.apply(lifecycle.delivered(alert, n, now, routing, alert))
        return due

    def people(self, notices: list[Notice]) -> list[Notice]:
        return [n for n in notices if n.recipient_id != "ops"]

    def one(self, kind: str | None = None) -> Alert:
        found = [a for a in self.alerts.values() if kind is None or a.kind == kind]
        assert len(found) == 1, found
        return found[0]

    def dormant(self) -> Alert:
        return self.one(DORMANT)


@dataclass
class LedgerStore:
    """The slice of ``AlertStore`` the delivery loop uses, over a :class:`Ledger` (no SQL)."""

    ledger: Ledger
    settled: list[tuple[str, str]] = field(default_factory=list)  # (notice key, outcome)
    open_reads: int = 0

    def due_for_tick(self, now) -> list[Alert]:
        return [
            a
            for a in self.ledger.alerts.values()
            if (a.status == SNOOZED and a.snoozed_until and a.snoozed_until <= now)
            or (a.status == DELIVERED and a.escalate_at and a.escalate_at <= now)
        ]

    def due_notices(self, now) -> list[Notice]:
        due = [n for n in self.ledger.pending.values() if n.not_before <= now]
        return sorted(due, key=lambda n: n.not_before)

    def claim_due(self, now, me, until, limit=200) -> list[Notice]:
        return self.due_notices(now)

    def release_all(self, me) -> None:
        pass

    def hold(self, keys, me, until) -> bool:
        return all(k in self.ledger.pending for k in keys)

    def get(self, alert_id: str) -> Alert | None:
        return self.ledger.alerts.get(alert_id)

    def transition(self, alert_id: str, change, now) -> Decision:
        return self.ledger.apply(change(self.ledger.alerts[alert_id], now))

    def settle(self, n: Notice, outcome, channel, attempts, error, at, change) -> None:
        del self.ledger.pending[n.key]
        self.settled.append((n.key, outcome))
        self.ledger.apply(change(self.ledger.alerts[n.alert_id]))

    def settle_all(self, sent, outcome, channel, attempts, error, at) -> None:
        for n, change in sent:
            self.settle(n, outcome, channel, attempts, error, at, change)

    def pending_count(self) -> int:
        return len(self.ledger.pending)

    def open_alerts(self) -> list[Alert]:
        self.open_reads += 1
        return [a for a in self.ledger.alerts.values() if a.is_open]
