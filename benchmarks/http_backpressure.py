"""POST /v1/attendance under open-loop load: 202 while it keeps up, 503 + Retry-After past it.

``peerpulse api`` (uvicorn, one process) runs as a child against one embedded Tansu broker;
this process offers single-message POSTs at 200, 500 and 1,000 per second for 10 s each
(``_http_load``: open loop, latency from each request's scheduled start, 127.0.0.1 only).
Per rate: offered/s, accepted (202)/s, refused (503/429)/s, other answers (no answer in 5 s
or another status), p50/p99/max latency of all answers in ms. Target: p99 < 250 ms while
under capacity and every answer in < 1 s (docs: issue 17, deliverable 5). Run alone with
``python -m benchmarks --only http_backpressure`` (or ``python -m benchmarks.http_backpressure``).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks._http_load import Connections, Outcome, offer, post
from infra.broker import EmbeddedBroker, free_port
from infra.settings import Settings

RATES = (200, 500, 1000)
SECONDS = 10.0
ROOT = Path(__file__).resolve().parents[1]
MARKED = json.loads(
    (ROOT / "docs/contract/examples/peerpulse.ingest.attendance.marked.v1.json").read_text()
)


def _message(rate: int, i: int) -> bytes:
    data = {**MARKED["data"], "member": f"stu-{i % 40}", "session": f"bench-{rate}-{i // 40}"}
    return json.dumps({**MARKED, "id": f"bench-{rate}-{i}", "data": data}).encode()


def _start_api(settings: Settings, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PEERPULSE_DATA_DIR": str(settings.data_dir),
           "PEERPULSE_STORE": "sqlite", "PEERPULSE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
           "PEERPULSE_API_MAX_PENDING": str(settings.api_max_pending)}  # fmt: skip
    cmd = [sys.executable, "-m", "peerpulse", "api", "--host", "127.0.0.1", "--port", str(port),
           "--lag-interval", "0"]  # fmt: skip
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=settings.data_dir, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.1)
    _stop(proc)
    raise RuntimeError(f"peerpulse api did not start: {log.read_text()[-500:]}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def _row(rate: int, outcomes: list[Outcome], seconds: float) -> dict[str, Any]:
    answered = sorted(o.latency for o in outcomes if o.status)
    pick = lambda q: round(answered[min(len(answered) - 1, int(q * len(answered)))] * 1000, 1)  # noqa: E731
    count = lambda *codes: sum(o.status in codes for o in outcomes)  # noqa: E731
    return {
        "offered_per_s": rate,
        "accepted_per_s": round(count(202) / seconds, 1),
        "refused_per_s": round(count(503, 429) / seconds, 1),
        "other": len(outcomes) - count(202, 503, 429),
        "p50_ms": pick(0.5) if answered else float("nan"),
        "p99_ms": pick(0.99) if answered else float("nan"),
        "max_ms": round(answered[-1] * 1000, 1) if answered else float("nan"),
    }


async def _measure(port: int, token: str, rates: tuple[int, ...], seconds: float) -> list[dict]:
    connections = Connections(port)
    path = "/v1/attendance"
    warm = await offer(connections, 50, 1, lambda i: post(path, port, _message(0, i), token))
    if not any(o.status == 202 for o in warm):
        raise RuntimeError(f"warm-up got no 202: {sorted({o.status for o in warm})}")
    rows = []
    for rate in rates:
        await asyncio.sleep(2)  # let the previous rate's work drain
        request = lambda i, r=rate: post(path, port, _message(r, i), token)  # noqa: E731
        outcomes = await offer(connections, rate, seconds, request)
        rows.append(_row(rate, outcomes, seconds))
        print(f"  {rows[-1]}", flush=True)
    connections.close()
    return rows


def run(rates: tuple[int, ...] = RATES, seconds: float = SECONDS) -> list[dict[str, Any]]:
    """One row per offered rate, against a fresh broker and API."""
    from infra.topics import ATTENDANCE, create_topics
    from peerpulse.build import build

    broker = EmbeddedBroker(host="127.0.0.1", port=free_port())
    broker.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(_env_file=None, data_dir=Path(tmp) / "pp", store="sqlite",
                                kafka_bootstrap=broker.bootstrap)  # fmt: skip
            settings.data_dir.mkdir(parents=True)
            create_topics(broker.bootstrap, settings.topic_partitions, (ATTENDANCE,))
            container = build(settings)
            _, token = container.token_store.create("bench", ["ingest"])
            container.close()
            port = free_port()
            api = _start_api(settings, port, Path(tmp) / "api.log")
            try:
                rows = asyncio.run(_measure(port, token, rates, seconds))
            finally:
                _stop(api)
    finally:
        broker.stop()
    return [{**r, "max_pending": settings.api_max_pending} for r in rows]


if __name__ == "__main__":
    for row in run():
        print(row)
