"""An in-memory stand-in for the alert store so policy tests read as stories."""

from __future__ import annotations

from dataclasses import dataclass, field

from consumers.alerts import lifecycle
from consumers.alerts.model import DORMANT, LAPSED, Alert, AlertIntent, Decision, LogEntry, Notice
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
        return Context(routing, current, health, lapses)

    def receive(self, intent: AlertIntent, routing, now) -> Decision:
        return self.apply(decide(intent, self.context(intent, routing), now, self.cfg))

    def deliver_due(self, routing, now) -> list[Notice]:
        """Deliver every pending notice whose time has come, like the outbox loop."""
        due = [n for n in self.pending.values() if n.not_before <= now]
        for n in due:
            del self.pending[n.key]
            self.apply(lifecycle.delivered(self.alerts[n.alert_id], n, now, routing))
        return due

    def people(self, notices: list[Notice]) -> list[Notice]:
        return [n for n in notices if n.recipient_id != "ops"]

    def one(self, kind: str | None = None) -> Alert:
        found = [a for a in self.alerts.values() if kind is None or a.kind == kind]
        assert len(found) == 1, found
        return found[0]

    def dormant(self) -> Alert:
        return self.one(DORMANT)
