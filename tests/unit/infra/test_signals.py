"""A stop signal that lands while the main thread holds the stop event's lock still stops.

The handler a process used before (``lambda *_: stop.set()``) deadlocks there: the signal
runs on the main thread, which already holds the lock ``set()`` needs. The broker's wrapper
was left running that way when ``peerpulse up`` was killed. Each case runs in a child
process so that a regression shows as a timeout, not a hung suite.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = textwrap.dedent(
    """
    import os, signal, threading, time
    from infra.signals import on_signals

    stop = threading.Event()
    {install}
    with stop._cond:  # what Event.wait holds at its entry and exit
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)  # the handler runs here, on this thread
    print("stopped" if stop.wait(3) else "never stopped", flush=True)
    """
)


def _run(install: str) -> subprocess.CompletedProcess[str]:
    code = SCRIPT.format(install=install)
    try:
        return subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=8
        )
    except subprocess.TimeoutExpired as exc:
        return subprocess.CompletedProcess(exc.cmd, -1, "deadlocked", "")


def test_a_signal_under_the_events_lock_stops_the_process() -> None:
    result = _run("on_signals(lambda _sig: stop.set())")
    assert result.stdout.strip() == "stopped", (result.stdout, result.stderr)


def test_the_naive_handler_deadlocks_there() -> None:
    """The case above is a real trap: the plain handler never gets past the lock."""
    result = _run("signal.signal(signal.SIGTERM, lambda *_: stop.set())")
    assert result.stdout == "deadlocked"


def test_previous_handlers_come_back() -> None:
    code = textwrap.dedent(
        """
        import signal
        from infra.signals import on_signals
        mine = lambda *_: None
        signal.signal(signal.SIGTERM, mine)
        restore = on_signals(lambda _sig: None)
        assert signal.getsignal(signal.SIGTERM) is not mine
        restore()
        print(signal.getsignal(signal.SIGTERM) is mine)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "True", out.stderr
