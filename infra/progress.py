"""Detects a stage that stops making progress while input waits, and ends its process.

A stage (ingest, the alert router, …) can be alive yet wedged: a loop that keeps failing on
the same thing, a call that never returns. Its supervisor (``peerpulse up``, compose, an
orchestrator) restarts only processes that exit, so a :class:`ProgressWatch` checks every
few seconds whether input is waiting (``waiting() > 0``) while the stage's progress counter
(``progressed()``) has not moved for ``stall_after`` seconds. Then it sets
``peerpulse_stage_stalled{stage}`` to 1 (the ``PeerpulseStageStalled`` rule fires on it),
logs one line, and ends the process with :data:`STALLED_EXIT` — the wedged thread cannot be
asked to finish, and every stage's effects are transactional, so nothing is lost.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from infra.metrics import STAGE_LAST_PROGRESS, STAGE_STALLED

log = logging.getLogger(__name__)
STALLED_EXIT = 5
"""Exit status of a process ended because its stage stalled."""


def _exit(stage: str) -> None:
    logging.shutdown()
    os._exit(STALLED_EXIT)


class ProgressWatch:
    """Watches one stage; :meth:`check` is the whole judgement (tests call it directly)."""

    def __init__(
        self,
        stage: str,
        waiting: Callable[[], int],
        progressed: Callable[[], int],
        stall_after: float,
        on_stall: Callable[[str], None] = _exit,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stage, self.waiting, self.progressed = stage, waiting, progressed
        self.stall_after, self.on_stall, self.clock = stall_after, on_stall, clock
        self._seen, self._since = progressed(), clock()
        self._stop = threading.Event()
        STAGE_STALLED.labels(stage).set(0)
        STAGE_LAST_PROGRESS.labels(stage).set_to_current_time()

    def check(self) -> bool:
        """True (and ``on_stall`` called) when input waited with no progress too long."""
        now = self.clock()
        try:
            done = self.progressed()
        except Exception as exc:  # read beside the stage's own thread: try again next time
            log.debug("%s: cannot read progress: %s", self.stage, exc)
            return False
        if done != self._seen:
            self._seen, self._since = done, now
            STAGE_LAST_PROGRESS.labels(self.stage).set_to_current_time()
            return False
        try:
            waiting = self.waiting()
        except Exception as exc:  # cannot tell (e.g. the broker is away): not a stall
            log.debug("%s: cannot measure waiting input: %s", self.stage, exc)
            waiting = 0
        if waiting <= 0:
            self._since = now  # idle is not stalled
            STAGE_LAST_PROGRESS.labels(self.stage).set_to_current_time()
            return False
        if now - self._since < self.stall_after:
            return False
        STAGE_STALLED.labels(self.stage).set(1)
        log.critical(
            "%s made no progress for %.0f s while %d records waited: exiting (status %d) "
            "for a restart",
            self.stage, now - self._since, waiting, STALLED_EXIT,
        )  # fmt: skip
        self.on_stall(self.stage)
        return True

    def start(self, every: float = 5.0) -> ProgressWatch:
        """Check every ``every`` seconds on a daemon thread until :meth:`stop`."""

        def loop() -> None:
            while not self._stop.wait(every):
                if self.check():
                    return

        threading.Thread(target=loop, name=f"progress-{self.stage}", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop checking (a clean shutdown is not a stall)."""
        self._stop.set()
