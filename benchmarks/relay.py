"""How fast the outbox relay publishes, beside raw kafka-python producing the same messages.

One run: an embedded Tansu broker and a temporary SQLite store holding ``n`` domain events
recorded through the EngagementApp (the relay tests' history: every public type, ticks).
Then ``rounds`` alternating pairs, each on a fresh topic:
- ``relay``: :class:`infra.relay.Relay` from the first notification to the last — its
  reader process reads, decodes and translates while this process produces acks=all +
  idempotent; the clock starts once the reader is ready. The startup (reader process,
  topic creation, reading the watermarks) is reported apart.
- ``raw kafka-python``: the very records the relay produced (key, value, headers,
  partition), already in memory, sent by a kafka-python producer with the same config
  and flushed once.

Rounds alternate so that a noisy moment of the machine does not land on one case only;
the ``median`` row holds each case's median and ``vs_raw`` is the ratio of the medians.
``run()`` returns the rows; ``python -m benchmarks.relay`` prints them.
Target: the relay reaches at least 50% of the raw rate (records/s; ticks fan out, so
records slightly outnumber events).
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from infra.broker import EmbeddedBroker, free_port
from infra.kafka import producer, read_all
from infra.relay import PRODUCER_CONFIG
from infra.settings import Settings
from peerpulse.build import build


def _record(settings: Settings, n: int) -> int:
    from tests.integration.relay_kit import record_history

    container = build(settings)
    try:
        return record_history(container.app, n)
    finally:
        container.close()


def _relay(settings: Settings, topic: str) -> dict[str, Any]:
    container = build(settings, relay_topic=topic)
    relay = container.relay
    try:
        started = time.perf_counter()
        relay.start()
        ready = time.perf_counter()
        events = 0
        while True:
            read, sent = relay.publish_batch()
            events += sent
            if read < relay.batch_size:
                break
        done = time.perf_counter()
    finally:
        relay.close()
        container.close()
    return {"events": events, "startup_s": ready - started, "seconds": done - ready}


def _raw(bootstrap: str, records: list[Any]) -> float:
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    client = producer(bootstrap, **PRODUCER_CONFIG)
    client.send(topic, b"warm-up").get(timeout=30)
    started = time.perf_counter()
    for r in records:
        client.send(topic, value=r.value, key=r.key, headers=r.headers, partition=r.partition)
    client.flush()
    done = time.perf_counter()
    client.close()
    return done - started


def _row(case: str, records: int, seconds: float, **extra: Any) -> dict[str, Any]:
    return {
        "case": case,
        **extra,
        "records": records,
        "seconds": round(seconds, 3),
        "records_per_s": round(records / seconds),
    }


def run(n: int = 20_000, rounds: int = 3) -> list[dict[str, Any]]:
    """Relay ``n`` recorded events and produce the same records raw, ``rounds`` times each."""
    rows: list[dict[str, Any]] = []
    relay_s: list[float] = []
    raw_s: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, EmbeddedBroker(port=free_port()) as broker:
        broker.start()
        settings = Settings(_env_file=None, data_dir=Path(tmp), kafka_bootstrap=broker.bootstrap)
        _record(settings, n)
        for i in range(1, rounds + 1):
            topic = f"bench.relay.{uuid.uuid4().hex[:8]}"
            relay = _relay(settings, topic)
            records = read_all(broker.bootstrap, topic, timeout=120)
            raw = _raw(broker.bootstrap, records)
            relay_s.append(relay["seconds"])
            raw_s.append(raw)
            rows.append(
                _row(
                    f"relay, round {i}",
                    len(records),
                    relay["seconds"],
                    events=relay["events"],
                    startup_s=round(relay["startup_s"], 3),
                )
            )
            rows.append(_row(f"raw kafka-python, round {i}", len(records), raw))
        relay_median = _row("relay, median", len(records), statistics.median(relay_s))
        raw_median = _row("raw kafka-python, median", len(records), statistics.median(raw_s))
        relay_median["vs_raw"] = round(
            relay_median["records_per_s"] / raw_median["records_per_s"], 2
        )
        rows += [relay_median, raw_median]
    for row in rows:
        print("  ".join(f"{k}={v}" for k, v in row.items()))
    return rows


if __name__ == "__main__":
    run()
