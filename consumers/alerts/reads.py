"""The alert store as the API's alert port (``api.ports.AlertReads``, matched by shape).

The API lists, shows and acts on alerts (acknowledge and take back, snooze, close, and an
action link used once) without knowing the router's tables. The
store is opened on the first question, so an API whose store is down still starts and
answers its readiness check with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from consumers.alerts import lifecycle
from consumers.alerts.link_keys import signer
from consumers.alerts.model import ACKNOWLEDGED, Alert, Decision, LogEntry
from consumers.alerts.store import AlertStore
from infra.links import ActionLink, LinkSigner

ActionError = lifecycle.LifecycleError
"""What :meth:`StoreAlertReads.act` and the other changes raise when the alert's state
does not allow it (the API answers 409)."""

EVERY = 2**31 - 1
"""The store's ``LIMIT`` when every matching alert is asked for (the API pages them)."""


class StoreAlertReads:
    """Alert reads and acknowledgements over the router's :class:`AlertStore`."""

    def __init__(self, open_store: Callable[[], AlertStore], link_secret: str = "") -> None:
        self._open_store, self._link_secret = open_store, link_secret
        self._store: AlertStore | None = None
        self._signer: LinkSigner | None = None

    @property
    def store(self) -> AlertStore:
        """The alert store, opened on first use."""
        if self._store is None:
            self._store = self._open_store()
        return self._store

    def list(
        self, status: str | None = None, program_ids: Iterable[str] | None = None,
        limit: int | None = 500,
    ) -> list[Alert]:  # fmt: skip
        """Alerts newest first, filtered by status and programs; ``limit=None``: all."""
        return self.store.list(status=status, program_ids=program_ids,
                               limit=EVERY if limit is None else limit)  # fmt: skip

    def open_alerts(self, program_ids: Iterable[str] | None = None) -> list[Alert]:
        """Every unresolved alert (no limit), oldest first; ``program_ids``: only those."""
        wanted = None if program_ids is None else {str(p) for p in program_ids}
        return [a for a in self.store.open_alerts() if wanted is None or a.program_id in wanted]

    def get(self, alert_id: str) -> Alert | None:
        """One alert, or None."""
        return self.store.get(alert_id)

    def acknowledge(self, alert_id: str, by: str, comment: str = "") -> Alert:
        """Record that ``by`` took the alert on (stops escalation)."""
        return self.store.acknowledge(alert_id, by, comment)

    def unacknowledge(self, alert_id: str, by: str) -> Alert:
        """Take an acknowledgement back (the comment is kept)."""
        return self.store.unacknowledge(alert_id, by)

    def snooze(self, alert_id: str, until: datetime, by: str) -> Alert:
        """Quiet an alert until ``until`` or until it gets worse."""
        return self.store.snooze(alert_id, until, by)

    def close(self, alert_id: str, by: str, note: str) -> Alert:
        """Resolve an alert by hand (the group has ended)."""
        return self.store.close(alert_id, by, note)

    @property
    def signer(self) -> LinkSigner:
        """The action-link signer (the configured secret, else the store's)."""
        if self._signer is None:
            self._signer = signer(self._link_secret, self.store.db)
        return self._signer

    def link_used(self, nonce: str) -> datetime | None:
        """When the link with ``nonce`` was used, or None."""
        return self.store.link_used(nonce)

    def act(self, link: ActionLink, note: str = "") -> Alert | None:
        """Do what ``link`` says, once: ``None`` when its nonce was used before. ``ack`` and
        ``reached_out`` acknowledge, ``snooze_week`` snoozes 7 days, ``ended`` resolves;
        on an alert already resolved, the link is used up and nothing else changes."""
        by = f"link:{link.recipient}"
        record = (link.alert_id, link.action, link.recipient)
        try:
            d = self.store.transition_once(link.nonce, record, _change(link.action, by, note))
        except lifecycle.LifecycleError:
            if link.action not in ("reached_out", "ended"):
                raise
            d = self.store.transition_once(link.nonce, record, lambda a, now: Decision())
        if d is None:
            return None
        return d.alerts[0] if d.alerts else self.store.get(link.alert_id)


def _change(action: str, by: str, note: str) -> Callable[[Alert, datetime], Decision]:
    from datetime import timedelta

    if action == "snooze_week":
        return lambda a, now: lifecycle.snooze(a, now + timedelta(days=7), by, now)
    if action == "ended":
        return lambda a, now: lifecycle.close(a, by, note or "the group has ended", now)
    return lambda a, now: _acknowledge(a, by, note or _NOTES[action], now)


def _acknowledge(a: Alert, by: str, note: str, now: datetime) -> Decision:
    """Acknowledge, or (already acknowledged) keep the standing acknowledgement and its
    comment and log what the link said."""
    if a.status == ACKNOWLEDGED:
        return Decision(log=[LogEntry(a.alert_id, "link-used", now, by, note)])
    return lifecycle.acknowledge(a, by, note, now)


_NOTES = {"ack": "acknowledged from a message's link", "reached_out": "I reached out"}
