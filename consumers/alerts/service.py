"""``peerpulse alerts run``: the router loop and the outbox loop in one process.

The router (main thread) turns intents into durable alerts and outbox rows; the delivery
thread sends what is due. Either may crash without losing anything: the log and outbox
are the source of truth, Kafka offsets follow them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from consumers.alerts.delivery import Deliverer
from consumers.alerts.router import AlertRouter

log = logging.getLogger(__name__)


class AlertService:
    """Runs until :attr:`stop` is set (SIGTERM/SIGINT in the CLI)."""

    def __init__(
        self,
        router: Callable[[], AlertRouter],
        deliverer: Deliverer,
        every_s: float = 1.0,
        watch: Callable[[AlertRouter], Any] | None = None,
    ) -> None:
        """``watch(router)`` starts a stall watch on the router (and returns it)."""
        self._router_factory, self.deliverer, self.every_s = router, deliverer, every_s
        self._watch = watch
        self.stop = threading.Event()

    def run(self) -> None:
        """Consume and deliver until stopped."""
        worker = threading.Thread(target=self._deliver_loop, name="alert-delivery", daemon=True)
        worker.start()
        router = self._router_factory()
        log.info("alert router running")
        watch = self._watch(router) if self._watch is not None else None
        try:
            while not self.stop.is_set():
                try:
                    router.poll_once(timeout_ms=500)
                except Exception:
                    log.exception("alert router failed; retrying")
                    self.stop.wait(1.0)
        finally:
            if watch is not None:
                watch.stop()
            router.consumer.close(autocommit=False)
            worker.join(timeout=10)
            log.info("alert router stopped")

    def _deliver_loop(self) -> None:
        while not self.stop.is_set():
            try:
                self.deliverer.run_once()
            except Exception:
                log.exception("alert delivery loop failed; retrying")
            self.stop.wait(self.every_s)
