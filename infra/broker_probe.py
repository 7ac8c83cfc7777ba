"""Kafka wire-level liveness checks: ApiVersions + Metadata over a plain socket.

Independent of any client library's reconnect back-off, so readiness checks and CLI
commands fail fast with a one-line reason.
"""

from __future__ import annotations

import socket
import struct
import time

from infra.errors import UserFacingError


class BrokerError(UserFacingError):
    """The embedded broker cannot start or answer; the message is one line for the operator."""


def first_line(exc: BaseException | str) -> str:
    """The first line of an error's message (for one-line operator messages)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


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


def wait_for_kafka(bootstrap: str, timeout: float = 5.0) -> None:
    """Block until one of the ``host:port[,host:port]`` servers answers Metadata.

    Raises :class:`BrokerError` with a one-line reason after ``timeout`` seconds, so CLI
    commands fail fast instead of sitting in a client's reconnect back-off.
    """
    servers = [s.strip().rsplit(":", 1) for s in bootstrap.split(",") if s.strip()]
    deadline, last = time.monotonic() + timeout, "no servers given"
    while True:
        for host, port in servers:
            try:
                probe(host.strip("[]"), int(port), timeout=1.0)
                return
            except (OSError, ValueError, struct.error) as exc:
                last = first_line(exc)
        if time.monotonic() >= deadline:
            raise BrokerError(f"no Kafka broker answers at {bootstrap}: {last}")
        time.sleep(0.1)
