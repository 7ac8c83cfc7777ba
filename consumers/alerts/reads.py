"""The alert store as the API's alert port (``api.ports.AlertReads``, matched by shape).

The API lists, shows and acknowledges alerts without knowing the router's tables. The
store is opened on the first question, so an API whose store is down still starts and
answers its readiness check with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from consumers.alerts.model import Alert
from consumers.alerts.store import AlertStore

EVERY = 2**31 - 1
"""The store's ``LIMIT`` when every matching alert is asked for (the API pages them)."""


class StoreAlertReads:
    """Alert reads and acknowledgements over the router's :class:`AlertStore`."""

    def __init__(self, open_store: Callable[[], AlertStore]) -> None:
        self._open_store = open_store
        self._store: AlertStore | None = None

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
