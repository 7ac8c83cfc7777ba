"""Runs peerpulse's services as supervised child processes with one readable log view.

Each service is an ordinary ``peerpulse <command>`` process, exactly as production runs
them separately; the supervisor starts them in order, waits for each to be ready, prefixes
every log line with the service name, restarts a service that dies, and stops them all in
reverse order on Ctrl-C, SIGTERM or SIGHUP.

No service outlives the supervisor: it stops them on every way out of its own (an
exception, a signal, a log reader that went away — output errors are dropped, never
raised), and on Linux each child is told by the kernel when the supervisor dies, even by
SIGKILL (:func:`die_with_parent`).

Given a data dir, it records its pid there and pauses a service on request
(:mod:`peerpulse.pause`: ``peerpulse rebuild`` borrows the worker's lock this way).
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
from pathlib import Path

from infra.child_process import die_with_parent
from infra.errors import UserFacingError
from infra.signals import SignalForwarder
from peerpulse import pause

COLOURS = ("36", "35", "33", "32", "34", "31", "96", "95")
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


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
    pauses_as: str | None = None  # the pause request it honours (default: its name)


@dataclass
class _Running:
    service: Service
    proc: subprocess.Popen
    tail: deque
    restarts: int = 0
    started: float = field(default_factory=time.monotonic)


class Supervisor:
    """Starts, watches and stops a list of services.

    ``max_restarts`` is a service's budget of restarts in a row; a run that lasted
    ``reset_after`` seconds counts as healthy and gives the budget back.
    """

    def __init__(
        self,
        services: list[Service],
        *,
        out=None,
        max_restarts: int = 5,
        reset_after: float = 60.0,
        data_dir: Path | None = None,
    ) -> None:
        self.services = services
        self.data_dir = data_dir  # given: pid recorded there, pause requests honoured
        self.paused: dict[str, Service] = {}
        self.out = out or sys.stdout
        self.max_restarts = max_restarts
        self.reset_after = reset_after
        self.running: dict[str, _Running] = {}
        self._lock = threading.Lock()
        self._spawning = threading.Lock()
        self._stopping = threading.Event()
        self._waiting = False
        self._signalled = False
        self._forwarder: SignalForwarder | None = None
        self._out_broken = False
        self._previous: dict[int, object] = {}
        width = max((len(s.name) for s in services), default=6)
        self._width = max(width, 10)

    def log(self, name: str, line: str) -> None:
        """Write one prefixed line to the shared log view; never raises.

        A reader that went away (``… | tee`` ended by Ctrl-C) must not kill the supervisor
        before it has stopped its services: from then on the output is discarded.
        """
        colour = COLOURS[hash(name) % len(COLOURS)] if self._tty() else None
        prefix = f"{name:<{self._width}} |"
        if colour:
            prefix = f"\x1b[{colour}m{prefix}\x1b[0m"
        with self._lock:
            if self._out_broken:
                return
            try:
                self.out.write(f"{prefix} {line.rstrip()}\n")
                self.out.flush()
            except (OSError, ValueError):
                self._out_broken = True
                _discard_output(self.out)

    def _tty(self) -> bool:
        try:
            return hasattr(self.out, "isatty") and self.out.isatty()
        except (OSError, ValueError):
            return False

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
            start_new_session=True,  # Ctrl-C reaches the supervisor only: it stops in order
            preexec_fn=die_with_parent(signal.SIGTERM),
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
        """Start every service in order, each ready before the next starts.

        From here until :meth:`stop`, SIGINT, SIGTERM and SIGHUP stop the services; outside
        :meth:`wait` they also raise KeyboardInterrupt so the caller unwinds to its
        ``finally: supervisor.stop()``. Any failure stops what was already started.
        """
        self._trap_signals()
        if self.data_dir is not None:
            pause.record_supervisor(self.data_dir)
        with self._stopped_on_failure():
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
        with self._stopped_on_failure():
            self.log("supervisor", f"starting {service.name}")
            run = self._spawn(service)
            self.running[service.name] = run
            self._await_ready(run)
            self.log("supervisor", f"{service.name} is ready")

    def remove(self, name: str, grace: float = 10.0) -> None:
        """Stop one running service for good (the demo stops ingest while it queues a
        backlog, then :meth:`add` starts it again)."""
        with self._spawning:
            run = self.running.pop(name, None)
        if run is not None:
            self.log("supervisor", f"stopping {name}")
            self._end(run, grace)

    @contextlib.contextmanager
    def _stopped_on_failure(self):
        try:
            yield
        except BaseException:
            self.stop()
            raise

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
            self._honour_pauses()
            for name, run in list(self.running.items()):
                code = run.proc.poll()
                if code is None or self._stopping.is_set():
                    continue
                self._restart(name, run, code)

    def _restart(self, name: str, run: _Running, code: int) -> None:
        restarts = 0 if time.monotonic() - run.started >= self.reset_after else run.restarts
        if not run.service.restart or restarts >= self.max_restarts:
            self.log("supervisor", f"{name} exited with code {code}; not restarting")
            self.running.pop(name, None)
            return
        self.log("supervisor", f"{name} exited with code {code}; restarting")
        if self._stopping.wait(min(2**restarts, 30)):
            return
        with self._spawning:  # stop() never misses a service started at the same moment
            if self._stopping.is_set() or self.running.get(name) is not run:
                return  # stopping, or removed meanwhile (remove())
            try:
                new = self._spawn(run.service)
            except Exception as exc:  # OSError, or a failing preexec_fn: never kill the watch
                self.log("supervisor", f"{name} cannot be restarted: {exc}")
                self.running.pop(name, None)
                return
            new.restarts = restarts + 1
            self.running[name] = new

    def _honour_pauses(self) -> None:
        """Stop a service someone asked to pause (:mod:`peerpulse.pause`); start it again
        once the request is withdrawn or its requester is gone."""
        if self.data_dir is None:
            return
        for name, run in list(self.running.items()):
            if (pid := pause.requester(self.data_dir, run.service.pauses_as or name)) is not None:
                self.log("supervisor", f"pausing {name} for pid {pid}")
                with self._spawning:
                    run = self.running.pop(name, None)
                if run is not None:
                    self.paused[name] = run.service
                    self._end(run, grace=10.0)
        for name, service in list(self.paused.items()):
            if pause.requester(self.data_dir, service.pauses_as or name) is None:
                with self._spawning:
                    if self._stopping.is_set():
                        return
                    self.log("supervisor", f"resuming {name}")
                    del self.paused[name]
                    self.running[name] = self._spawn(service)

    def _end(self, run: _Running, grace: float) -> None:
        """SIGTERM the service's process group, SIGKILL after ``grace``."""
        if run.proc.poll() is not None:
            return
        _signal_group(run.proc, signal.SIGTERM)
        try:
            run.proc.wait(grace)
        except subprocess.TimeoutExpired:
            _signal_group(run.proc, signal.SIGKILL)
            run.proc.wait()

    def stop(self, grace: float = 10.0) -> None:
        """Stop every service in reverse start order: SIGTERM, then SIGKILL after ``grace``."""
        with self._spawning:
            self._stopping.set()
        for name in reversed(list(self.running)):
            run = self.running.get(name)
            if run is not None and run.proc.poll() is None:
                self.log("supervisor", f"stopping {name}")
                self._end(run, grace)
        self.running.clear()
        self.paused.clear()
        if self.data_dir is not None:
            pause.forget_supervisor(self.data_dir)
        self._release_signals()

    def wait(self) -> None:
        """Block until Ctrl-C / SIGTERM / SIGHUP, then stop everything.

        The handlers are installed explicitly: a process started in the background by a
        non-interactive shell inherits SIGINT as *ignored*, and Ctrl-C must still work.
        """
        self._trap_signals()
        self._waiting = True
        try:
            while not self._stopping.wait(0.5):
                pass
        finally:
            self._waiting = False
            self.stop()

    def _trap_signals(self) -> None:
        if self._previous or threading.current_thread() is not threading.main_thread():
            return
        self._signalled = False
        self._forwarder = SignalForwarder(lambda _sig: self._stopping.set())
        self._previous = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}

    def _release_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        previous, self._previous = self._previous, {}
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self._signalled or self._stopping.is_set():
            return  # already stopping: a second Ctrl-C must not cut the shutdown short
        self._signalled = True
        # not self._stopping.set() here: the main thread may hold its lock (infra/signals.py)
        if self._forwarder is not None:
            self._forwarder.handler(signum)
        if not self._waiting:
            raise KeyboardInterrupt(signal.Signals(signum).name)


def _discard_output(out) -> None:
    """Point a dead output's file descriptor at /dev/null so later writes (ours, a final
    ``print``, the interpreter's flush at exit) succeed quietly instead of failing again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        fd = out.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def _safe(probe: Callable[[], bool]) -> bool:
    try:
        return bool(probe())
    except Exception:  # a probe that raises simply means "not ready yet"
        return False
