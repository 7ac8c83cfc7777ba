"""The Alertmanager lease refresh: re-post every open alert before its ``endsAt`` passes.

Alertmanager treats a firing alert as resolved once its ``endsAt`` is past, and expects
clients to re-send firing alerts periodically (Prometheus does so every evaluation). The
outbox posts an alert when its state changes; this re-posts all open ones every
``PEERPULSE_ALERTS_OPS_REFRESH_HOURS`` with a fresh ``endsAt``. Resolved alerts are never
refreshed. A refresh does not go through the outbox: it has nothing to settle, so a failure
is only logged and counted, and the refresh is tried again a minute later (not at every
one-second tick: an Alertmanager that is down would cost a timeout and a log line each).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from consumers.alerts.channels import DeliveryError
from consumers.alerts.channels.alertmanager import AlertmanagerChannel
from consumers.alerts.directory import CoordinatorDirectory
from consumers.alerts.messages import link
from consumers.alerts.model import Alert, Routing
from consumers.alerts.store import AlertStore
from infra import metrics

log = logging.getLogger(__name__)

BATCH = 200  # alerts per POST: one request per refresh for a typical deployment
RETRY_AFTER = timedelta(minutes=1)
"""Pause after a failed refresh (far below any lease: validity is at least an hour)."""


class OpsRefresh:
    """Keeps open alerts alive in Alertmanager; called on every delivery-loop tick.

    When the last successful refresh happened is kept in memory only: after a restart the
    first tick refreshes at once. That is harmless, because Alertmanager merges posts of the
    same labels and keeps the later ``endsAt``.
    """

    def __init__(
        self,
        store: AlertStore,
        directory: CoordinatorDirectory,
        ops: AlertmanagerChannel,
        public_url: str,
        every: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self.store, self.directory, self.ops, self.public_url = store, directory, ops, public_url
        self.every, self.clock = every, clock
        self.last: datetime | None = None
        self.failed_at: datetime | None = None

    def due(self, now: datetime) -> bool:
        """Never refreshed, the interval has passed, or the clock went backwards — and
        not within :data:`RETRY_AFTER` of a failed attempt."""
        failed = self.failed_at
        if failed is not None and failed <= now < failed + RETRY_AFTER:
            return False
        return self.last is None or not self.last <= now < self.last + self.every

    def run_once(self) -> int:
        """Re-post every open alert if a refresh is due; returns how many were posted.

        Never raises: a failure is logged, counted as an ``alertmanager`` delivery attempt
        with outcome ``error``, and retried once :data:`RETRY_AFTER` has passed.
        """
        now = self.clock()
        if not self.due(now):
            return 0
        try:
            sent = self._push_open(now)
        except DeliveryError as exc:
            log.error("alertmanager refresh failed, retrying in a minute: %s", exc)
        except Exception:
            log.exception("alertmanager refresh failed, retrying in a minute")
        else:
            self.last, self.failed_at = now, None
            return sent
        self.failed_at = now
        metrics.ALERT_DELIVERY_ATTEMPTS.labels("alertmanager", "error").inc()
        return 0

    def _push_open(self, now: datetime) -> int:
        routings: dict[tuple[str, str], Routing] = {}
        items: list[tuple[Alert, Routing, str]] = []
        for a in self.store.open_alerts():
            key = (a.program_id, a.group_id)
            if key not in routings:
                routings[key] = self.directory.routing(*key)
            items.append((a, routings[key], link(self.public_url, a)))
        for start in range(0, len(items), BATCH):
            self.ops.push_many(items[start : start + BATCH], now)
            metrics.ALERT_DELIVERY_ATTEMPTS.labels("alertmanager", "ok").inc()
        return len(items)
