"""A lock held as a lease: its holder acts only while its lock session is lately confirmed.

A PostgreSQL advisory lock goes with its session: the server frees it the moment the
session ends (terminated, server restart, failover), while the holder, not told, may still
be running. For the relay (decision 0022) the lock is therefore a lease:

- the watchdog (:mod:`infra.advisory_lock`) asks the session ``SELECT 1`` every
  :data:`LEASE_WATCH_S`; a failed answer ends the process at once (:meth:`Lease.end`: one
  line, exit :data:`LOST_EXIT`, nothing unacknowledged flushed);
- a question left unanswered for :data:`LEASE_S` (a dead link) ends it too, from a thread
  of its own that looks every :data:`CHECK_EVERY_S`;
- before every batch the holder calls :meth:`Lease.check`: after a pause (SIGSTOP, a frozen
  VM) it first waits for a fresh answer, and ends when none comes.

So a holder whose session was freed at time T stops acting by T + :data:`LEASE_WATCH_S` +
:data:`LEASE_S` + :data:`CHECK_EVERY_S`; a successor that waits :data:`FENCE_S` after taking
the lock reads the topic only once the old holder can add nothing to it.
"""

from __future__ import annotations

import os
import sys
import threading
import time

LEASE_WATCH_S = 1.0
"""How often a leased PostgreSQL lock's session is asked whether it is alive."""
LEASE_S = 2.0
"""How long a question to the session may stay unanswered before the holder ends."""
CHECK_EVERY_S = 0.2
"""How often the lease thread looks for a question left unanswered."""
FENCE_S = LEASE_WATCH_S + LEASE_S + CHECK_EVERY_S + 0.3
"""How long a process that took a leased lock over waits before it acts: by then the
previous holder, had it lost its session rather than died, has ended itself."""
LOST_EXIT = 2
"""Exit status of a holder that lost its lease (as :class:`infra.singleton.LockLost`)."""


class Lease:
    """A leased lock as its holder sees it (see the module docstring)."""

    def __init__(self, role: str, lost_message: str) -> None:
        """``role`` names the command in the one line printed when the lease is lost."""
        self.role, self.lost_message = role, lost_message
        self.confirmed = time.monotonic()
        """When the last answered question to the session was asked (monotonic)."""
        self.asked: float | None = None
        """When the question now waiting for an answer was asked; None between questions."""
        self._answer = threading.Condition()

    def asking(self) -> None:
        """The watchdog asks the session now."""
        self.asked = time.monotonic()

    def answered(self) -> None:
        """The session answered the question asked last."""
        with self._answer:
            self.confirmed, self.asked = self.asked or time.monotonic(), None
            self._answer.notify_all()

    def check(self) -> None:
        """Return when the session was confirmed within :data:`LEASE_WATCH_S` +
        :data:`LEASE_S` — waiting that long for a fresh answer after a pause — else end."""
        bound = LEASE_WATCH_S + LEASE_S
        since = time.monotonic()
        with self._answer:
            if self._answer.wait_for(lambda: self.confirmed > since - bound, timeout=bound):
                return
        self.end()

    def start(self, done: threading.Event) -> None:
        """Until ``done``: every :data:`CHECK_EVERY_S`, end the process when a question has
        waited more than :data:`LEASE_S` for its answer."""

        def expire() -> None:
            while not done.wait(CHECK_EVERY_S):
                asked = self.asked
                if asked is not None and time.monotonic() - asked > LEASE_S:
                    self.end()

        threading.Thread(target=expire, name="lock-lease", daemon=True).start()

    def end(self) -> None:
        """One line on stderr, then exit :data:`LOST_EXIT` at once: nothing not yet
        acknowledged is flushed, so nothing more goes out under a lock we may not hold."""
        sys.stderr.write(f"peerpulse {self.role}: {self.lost_message}\n")
        sys.stderr.flush()
        os._exit(LOST_EXIT)
