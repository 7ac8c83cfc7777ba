"""Runs peerpulse's services as supervised child processes with one readable log view.

Each service is an ordinary ``peerpulse <command>`` process, exactly as production runs
them separately; the supervisor starts them in order, waits for each to be ready, prefixes
every log line with the service name, restarts a service that dies, and stops them all in
reverse order on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from infra.errors import UserFacingError

COLOURS = ("36", "35", "33", "32", "34", "31", "96", "95")


class ServiceFailed(UserFacingError):
    """A service could not start or become ready."""


@dataclass
class Service:
    """One supervised process: how to run it and how to tell it is ready."""

    name: str
    argv: list[str]
    ready: Callable[[], bool] | None = None
    ready_timeout: float = 60.0
    settle: float = 1.5  # with no probe: ready once alive this long
    env: dict[str, str] = field(default_factory=dict)
    restart: bool = True
    oneshot: bool = False  # a set-up step: must exit 0 before the next service starts


@dataclass
class _Running:
    service: Service
    proc: subprocess.Popen
    tail: deque
    restarts: int = 0


class Supervisor:
    """Starts, watches and stops a list of services."""

    def __init__(self, services: list[Service], *, out=None, max_restarts: int = 5) -> None:
        self.services = services
        self.out = out or sys.stdout
        self.max_restarts = max_restarts
        self.running: dict[str, _Running] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        width = max((len(s.name) for s in services), default=6)
        self._width = max(width, 10)

    def log(self, name: str, line: str) -> None:
        """Write one prefixed line to the shared log view."""
        colour = COLOURS[hash(name) % len(COLOURS)] if self._tty() else None
        prefix = f"{name:<{self._width}} |"
        if colour:
            prefix = f"\x1b[{colour}m{prefix}\x1b[0m"
        with self._lock:
            self.out.write(f"{prefix} {line.rstrip()}\n")
            self.out.flush()

    def _tty(self) -> bool:
        return hasattr(self.out, "isatty") and self.out.isatty()

    def _spawn(self, service: Service) -> _Running:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **service.env}
        proc = subprocess.Popen(
            service.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        run = _Running(service, proc, deque(maxlen=20))
        threading.Thread(target=self._pump, args=(run,), daemon=True).start()
        return run

    def _pump(self, run: _Running) -> None:
        assert run.proc.stdout is not None
        for line in run.proc.stdout:
            run.tail.append(line.rstrip())
            self.log(run.service.name, line)

    def start(self) -> None:
        """Start every service in order, each ready before the next starts."""
        for service in self.services:
            self.log("supervisor", f"starting {service.name}: {' '.join(service.argv[-3:])}")
            run = self._spawn(service)
            if service.oneshot:
                self._await_exit(run)
                continue
            self.running[service.name] = run
            self._await_ready(run)
            self.log("supervisor", f"{service.name} is ready")
        threading.Thread(target=self._watch, daemon=True).start()

    def add(self, service: Service) -> None:
        """Start one more service after the others are up (e.g. a clock once history is in)."""
        self.log("supervisor", f"starting {service.name}")
        run = self._spawn(service)
        self.running[service.name] = run
        self._await_ready(run)
        self.log("supervisor", f"{service.name} is ready")

    def _await_exit(self, run: _Running) -> None:
        try:
            code = run.proc.wait(run.service.ready_timeout)
        except subprocess.TimeoutExpired:
            _signal_group(run.proc, signal.SIGKILL)
            code = None
        time.sleep(0.1)  # let the pump drain the last lines
        if code != 0:
            self.stop()
            last = run.tail[-1] if run.tail else "(no output)"
            raise ServiceFailed(f"{run.service.name} failed (exit code {code}): {last}")

    def _await_ready(self, run: _Running) -> None:
        started = time.monotonic()
        deadline = started + run.service.ready_timeout
        while time.monotonic() < deadline:
            probe = run.service.ready
            if probe is None and time.monotonic() - started >= run.service.settle:
                return
            if probe is not None and _safe(probe):
                return
            if run.proc.poll() is not None:
                time.sleep(0.2)  # let the pump drain the last lines
                last = run.tail[-1] if run.tail else "(no output)"
                self.stop()
                raise ServiceFailed(
                    f"{run.service.name} exited with code {run.proc.returncode} "
                    f"during start-up: {last}"
                )
            time.sleep(0.3)
        self.stop()
        raise ServiceFailed(
            f"{run.service.name} was not ready within {run.service.ready_timeout:.0f} s"
        )

    def _watch(self) -> None:
        while not self._stopping.wait(1.0):
            for name, run in list(self.running.items()):
                code = run.proc.poll()
                if code is None or self._stopping.is_set():
                    continue
                if not run.service.restart or run.restarts >= self.max_restarts:
                    self.log("supervisor", f"{name} exited with code {code}; not restarting")
                    del self.running[name]
                    continue
                self.log("supervisor", f"{name} exited with code {code}; restarting")
                time.sleep(min(2**run.restarts, 30))
                new = self._spawn(run.service)
                new.restarts = run.restarts + 1
                self.running[name] = new

    def stop(self, grace: float = 10.0) -> None:
        """Stop every service in reverse start order: SIGTERM, then SIGKILL after ``grace``."""
        self._stopping.set()
        for name in reversed(list(self.running)):
            run = self.running[name]
            if run.proc.poll() is None:
                self.log("supervisor", f"stopping {name}")
                _signal_group(run.proc, signal.SIGTERM)
                try:
                    run.proc.wait(grace)
                except subprocess.TimeoutExpired:
                    _signal_group(run.proc, signal.SIGKILL)
                    run.proc.wait()
        self.running.clear()

    def wait(self) -> None:
        """Block until Ctrl-C / SIGTERM, then stop everything.

        Both handlers are installed explicitly: a process started in the background by a
        non-interactive shell inherits SIGINT as *ignored*, and Ctrl-C must still work.
        """
        previous = {
            sig: signal.signal(sig, lambda *_: self._stopping.set())
            for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            while not self._stopping.wait(0.5):
                pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.stop()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def _safe(probe: Callable[[], bool]) -> bool:
    try:
        return bool(probe())
    except Exception:  # a probe that raises simply means "not ready yet"
        return False
