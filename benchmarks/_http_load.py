"""An open-loop HTTP/1.1 load generator on raw asyncio streams (127.0.0.1 only).

Requests start on a fixed schedule whether or not earlier ones were answered, each on an
idle keep-alive connection or a new one; latency runs from the scheduled start (so a slow
generator or a full server counts against the answer, never hides it). Status 0 means no
answer within the client's timeout or a broken connection.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CLIENT_TIMEOUT = 5.0


@dataclass(frozen=True)
class Outcome:
    """One request: its HTTP status (0: no answer) and seconds from its scheduled start."""

    status: int
    latency: float


class Connections:
    """Keep-alive connections to one server, opened on demand and reused when idle."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def exchange(self, request: bytes) -> int:
        """Send one request and read its whole answer; the status, 0 on any failure.

        A kept-alive connection the server has just closed is retried once on a new one.
        """
        reused = bool(self.idle)
        status = await self._exchange(request, self.idle.pop() if reused else None)
        return await self._exchange(request, None) if reused and status == 0 else status

    async def _exchange(self, request: bytes, conn: Any) -> int:
        try:
            async with asyncio.timeout(CLIENT_TIMEOUT):
                if conn is None:
                    conn = await asyncio.open_connection(self.host, self.port)
                reader, writer = conn
                writer.write(request)
                head = (await reader.readuntil(b"\r\n\r\n")).lower()
                length = int(head.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
                await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError,
                IndexError, ValueError):  # fmt: skip
            if conn is not None:
                conn[1].close()
            return 0
        if b"connection: close" in head:
            writer.close()
        else:
            self.idle.append((reader, writer))
        return int(head[9:12])

    def close(self) -> None:
        """Close every idle connection."""
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


def post(path: str, port: int, body: bytes, token: str) -> bytes:
    """The bytes of one ``POST path`` with a JSON body and a bearer token."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")  # fmt: skip
    return head.encode() + body


async def offer(
    connections: Connections, rate: float, seconds: float, request: Callable[[int], bytes]
) -> list[Outcome]:
    """Start ``request(i)`` at ``rate`` per second for ``seconds``; every outcome."""
    outcomes: list[Outcome] = []

    async def one(i: int, due: float) -> None:
        status = await connections.exchange(request(i))
        outcomes.append(Outcome(status, time.perf_counter() - due))

    tasks = []
    start = time.perf_counter() + 0.05
    for i in range(int(rate * seconds)):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    return outcomes
