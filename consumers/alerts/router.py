"""The Kafka edge: read alert intents, apply each in one SQL transaction, then commit.

Offsets are committed only after every intent of a poll is durably in the alert log, so a
crash re-reads at most one poll; re-applying an intent is a no-op (its id is in the log).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from consumers.alerts.directory import CoordinatorDirectory
from consumers.alerts.intents import BadIntent, decode
from consumers.alerts.policy import PolicyConfig
from consumers.alerts.store import AlertStore
from infra import metrics
from infra.errors import one_line, transient
from infra.kafka import backlog

log = logging.getLogger(__name__)


class AlertRouter:
    """Consumes ``peerpulse.alerts.v1`` (a kafka-python consumer passed in)."""

    def __init__(
        self,
        consumer: Any,
        store: AlertStore,
        directory: CoordinatorDirectory,
        cfg: PolicyConfig,
        clock: Callable[[], datetime],
    ) -> None:
        self.consumer, self.store, self.directory = consumer, store, directory
        self.cfg, self.clock = cfg, clock
        self.handled = 0
        """Intents applied or rejected: the progress a stall watch follows."""
        self.backlog = 0
        """Intents waiting after the last poll (measured on the polling thread)."""

    def poll_once(self, timeout_ms: int = 500) -> int:
        """Apply one poll's intents and commit their offsets; returns how many were read."""
        batch = self.consumer.poll(timeout_ms=timeout_ms)
        # what waits counts the intents in hand too, so a poll that keeps failing is seen
        self.backlog = backlog(self.consumer) + sum(len(r) for r in batch.values())
        count = 0
        try:
            for records in batch.values():
                for record in records:
                    self.handle(record.value)
                    count += 1
        except Exception:
            self._rewind(batch)
            raise
        if count:
            self.consumer.commit()
            self.handled += count
        return count

    def handle(self, raw: bytes) -> None:
        """Apply one message; undecodable ones, and intents that fail for a reason of their
        own (not the store or the network being down), are logged durably and counted, so
        one intent never stops the stream."""
        now = self.clock()
        try:
            intent = decode(raw)
        except BadIntent as exc:
            log.warning("rejected alert intent: %s", exc)
            metrics.ALERT_INTENTS_REJECTED.labels(exc.code).inc()
            self.store.reject(str(exc), raw.decode("utf-8", "replace"), now)
            return
        try:
            routing = self.directory.routing(intent.program_id, intent.group_id)
            applied = self.store.receive(intent, routing, now, self.cfg)
        except Exception as exc:
            if transient(exc):
                raise  # the poll is rewound and read again
            reason = f"cannot be applied: {one_line(exc)}"
            log.error("quarantined alert intent %s: %s", intent.id, reason)
            metrics.ALERT_INTENTS_REJECTED.labels("unprocessable").inc()
            self.store.reject(f"intent {intent.id} {reason}", raw.decode("utf-8", "replace"), now)
            return
        if applied is not None:
            metrics.ALERT_INTENTS.labels(intent.kind).inc()

    def _rewind(self, batch: dict) -> None:
        """After a failure, go back to the first record of this poll (nothing committed)."""
        for tp, records in batch.items():
            if records:
                self.consumer.seek(tp, records[0].offset)
