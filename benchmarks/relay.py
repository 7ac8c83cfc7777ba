"""How fast the outbox relay publishes, beside raw kafka-python producing the same messages.

One run: an embedded Tansu broker and a temporary SQLite store holding ``n`` domain events
recorded through the EngagementApp (the relay tests' history: every public type, ticks).
- ``relay``: :class:`infra.relay.Relay` from the first notification to the last (decode
  with the app's mapper, translate, produce acks=all + idempotent, flush per batch);
  the startup (topic creation, reading the watermarks) is reported apart.
- ``raw``: the very records the relay produced (key, value, headers, partition), already
  in memory, sent by a kafka-python producer with the same config and flushed once.

``run()`` returns one dict per case; ``python -m benchmarks.relay`` prints them.
Target: the relay reaches at least 50% of the raw rate (records/s; ticks fan out, so
records slightly outnumber events).
"""

from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from infra.bootstrap import build
from infra.broker import EmbeddedBroker, free_port
from infra.kafka import producer
from infra.relay import PRODUCER_CONFIG
from infra.settings import Settings


def _record(container: Any, n: int) -> int:
    from tests.integration.test_relay_history import record_history

    return record_history(container.app, n)


def _relay(container: Any) -> dict[str, Any]:
    relay = container.relay
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
    relay.close()
    return {
        "case": "relay",
        "events": events,
        "startup_s": round(ready - started, 3),
        "seconds": round(done - ready, 3),
        "events_per_s": round(events / (done - ready)),
    }


def _raw(bootstrap: str, records: list[Any]) -> dict[str, Any]:
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    client = producer(bootstrap, **PRODUCER_CONFIG)
    client.send(topic, b"warm-up").get(timeout=30)
    started = time.perf_counter()
    for r in records:
        client.send(topic, value=r.value, key=r.key, headers=r.headers, partition=r.partition)
    client.flush()
    done = time.perf_counter()
    client.close()
    seconds = done - started
    return {
        "case": "raw kafka-python",
        "records": len(records),
        "seconds": round(seconds, 3),
        "records_per_s": round(len(records) / seconds),
    }


def run(n: int = 20_000) -> list[dict[str, Any]]:
    """Relay ``n`` recorded events and produce the same records raw; print and return figures."""
    with tempfile.TemporaryDirectory() as tmp, EmbeddedBroker(port=free_port()) as broker:
        broker.start()
        settings = Settings(_env_file=None, data_dir=Path(tmp), kafka_bootstrap=broker.bootstrap)
        topic = f"bench.relay.{uuid.uuid4().hex[:8]}"
        container = build(settings, relay_topic=topic)
        try:
            _record(container, n)
            relay = _relay(container)
        finally:
            container.close()
        from infra.kafka import read_all

        records = read_all(broker.bootstrap, topic, timeout=120)
        raw = _raw(broker.bootstrap, records)
    relay["records"] = len(records)
    relay["records_per_s"] = round(len(records) / relay["seconds"])
    relay["vs_raw"] = round(relay["records_per_s"] / raw["records_per_s"], 2)
    for result in (relay, raw):
        print("  ".join(f"{k}={v}" for k, v in result.items()))
    return [relay, raw]


if __name__ == "__main__":
    run()
