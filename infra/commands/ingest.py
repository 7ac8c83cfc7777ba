"""``peerpulse ingest``: consume attendance messages into the event store until SIGTERM.

Topic names default to the catalogue's and can be replaced (``--topic``, ``--dlq-topic``)
so tests and staging runs use their own. SIGTERM/SIGINT finish the batch in hand,
commit it and exit 0.
"""

from __future__ import annotations

import argparse
import logging
import signal
from typing import Any

from infra.settings import Settings
from infra.topics import ATTENDANCE, ATTENDANCE_DLQ

log = logging.getLogger("peerpulse.ingest")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="apply attendance messages from Kafka to the event store")
    p.add_argument("--topic", default=ATTENDANCE.name, help="input topic")
    p.add_argument("--dlq-topic", default=ATTENDANCE_DLQ.name, help="dead-letter topic")
    p.add_argument("--group-id", default="peerpulse-ingest", help="Kafka consumer group")
    p.add_argument("--max-records", type=int, default=5000, help="records per poll")
    p.set_defaults(handler=_run)


def build_consumer(container: Any, topic: str, dlq_topic: str, group_id: str,
                   max_records: int = 5000) -> Any:  # fmt: skip
    """An :class:`IngestConsumer` wired from the container's app and settings."""
    from consumers.ingest.consumer import IngestConsumer
    from consumers.ingest.dlq import DeadLetters
    from infra import kafka

    settings = container.settings
    kafka_consumer = kafka.consumer(
        settings.kafka_bootstrap, group_id,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        max_poll_records=max_records, fetch_max_bytes=16 * 1024 * 1024,
    )  # fmt: skip
    dead = DeadLetters(kafka.producer(settings.kafka_bootstrap), dlq_topic)
    container.app.trust_cache()  # this process is the only writer of the groups it ingests
    return IngestConsumer(container.app, kafka_consumer, dead, topic, max_records=max_records)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from infra.bootstrap import build
    from infra.broker_probe import wait_for_kafka
    from infra.singleton import only_one

    with only_one(settings, "ingest"):
        wait_for_kafka(settings.kafka_bootstrap)
        container = build(settings)
        try:
            ingest = build_consumer(
                container, args.topic, args.dlq_topic, args.group_id, args.max_records
            )
            try:
                for signum in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(signum, lambda *_: ingest.stop())
                ingest.start()
                log.info("ingesting %s (dead letters to %s)", args.topic, args.dlq_topic)
                watch = _watch(settings, ingest)
                ingest.run()
                if watch is not None:
                    watch.stop()
            finally:
                ingest.kafka.close(autocommit=False)
                ingest.dead_letters.close()
        finally:
            container.close()
    log.info("stopped after applying %d messages", ingest.applied)
    return 0


def _watch(settings: Settings, ingest: Any) -> Any:
    """Ends the process if ingest stops making progress while messages wait."""
    from infra.progress import ProgressWatch

    if not settings.stall_after_s:
        return None
    return ProgressWatch(
        "ingest", lambda: ingest.backlog, lambda: ingest.handled, settings.stall_after_s
    ).start()
