"""Stop signals whose handler takes no lock.

A Python signal handler runs in the main thread between two bytecodes, possibly while that
thread holds a lock: ``Event.wait`` takes its condition's lock at every entry and exit. A
handler that calls ``Event.set()`` there waits for a lock its own thread holds, and the
process never stops. That happened to the embedded broker's wrapper when ``peerpulse up``
was killed (its wait loop wakes every half second), leaving the broker running.

Here the handler only writes the signal number to a pipe; a daemon thread reads it and
runs the callback, where taking a lock is safe (the main thread lets go of it in time).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator

log = logging.getLogger(__name__)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class SignalForwarder:
    """Runs ``callback(signum)`` on a helper thread for each signal its handler receives."""

    def __init__(self, callback: Callable[[int], object]) -> None:
        self._callback = callback
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        threading.Thread(target=self._forward, name="signals", daemon=True).start()

    def handler(self, signum: int, _frame: object = None) -> None:
        """The signal handler: one ``write(2)`` to the pipe, no Python lock."""
        with contextlib.suppress(BlockingIOError, OSError):  # full: a stop is already queued
            os.write(self._write, bytes([signum]))

    def _forward(self) -> None:
        while True:
            try:
                data = os.read(self._read, 64)
            except OSError:
                return
            if not data:
                return
            for signum in data:
                try:
                    self._callback(signum)
                except Exception:  # a failed stop must not silence the signals after it
                    log.exception("handling signal %d failed", signum)


def on_signals(
    callback: Callable[[int], object], signals: tuple[int, ...] = STOP_SIGNALS
) -> Callable[[], None]:
    """Route ``signals`` to ``callback`` (on a helper thread); returns a function that puts
    the previous handlers back. Outside the main thread nothing is installed."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    forwarder = SignalForwarder(callback)
    previous = {sig: signal.signal(sig, forwarder.handler) for sig in signals}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


@contextlib.contextmanager
def signals_call(
    callback: Callable[[int], object], signals: tuple[int, ...] = STOP_SIGNALS
) -> Iterator[None]:
    """:func:`on_signals` for the duration of a ``with`` block."""
    restore = on_signals(callback, signals)
    try:
        yield
    finally:
        restore()
