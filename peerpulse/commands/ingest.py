"""``peerpulse ingest``: consume attendance messages into the event store until SIGTERM.

Topic names default to the catalogue's and can be replaced (``--topic``, ``--dlq-topic``)
so tests and staging runs use their own. SIGTERM/SIGINT finish the batch in hand,
commit it and exit 0. On PostgreSQL any number of ingest processes share the topic, one
Kafka consumer group dividing its partitions (decision 0024).
"""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from infra.settings import Settings
from infra.topics import ATTENDANCE, ATTENDANCE_DLQ
from peerpulse.where import BROKER, STORE

if TYPE_CHECKING:
    from consumers.ingest.consumer import IngestConsumer
    from infra.progress import ProgressWatch

log = logging.getLogger("peerpulse.ingest")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="apply attendance messages from Kafka to the event store")
    p.add_argument("--topic", default=ATTENDANCE.name, help="input topic")
    p.add_argument("--dlq-topic", default=ATTENDANCE_DLQ.name, help="dead-letter topic")
    p.add_argument("--group-id", default="peerpulse-ingest", help="Kafka consumer group")
    p.add_argument("--max-records", type=int, default=5000, help="records per poll")
    p.set_defaults(handler=_run, uses=(BROKER, STORE))


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from infra.broker_probe import wait_for_kafka
    from infra.presence import sharing
    from infra.signals import on_signals
    from infra.singleton import only_one
    from infra.sql import is_postgres
    from peerpulse.build import build

    # PostgreSQL: several ingest processes share the topic by partition, each listed by
    # `peerpulse status` (decision 0024); SQLite, the one-host embedded store: one per store
    with sharing(settings, "ingest") if is_postgres(settings) else only_one(settings, "ingest"):
        wait_for_kafka(settings.kafka_bootstrap)
        parts = build(settings)
        try:
            ingest = parts.ingest_consumer(
                args.topic, args.dlq_topic, args.group_id, args.max_records
            )
            try:
                on_signals(lambda _sig: ingest.stop())
                ingest.start()
                log.info("ingesting %s (dead letters to %s)", args.topic, args.dlq_topic)
                watch = _watch(settings, ingest)
                ingest.run()
                if watch is not None:
                    watch.stop()
            finally:
                ingest.kafka.close(autocommit=False)
                ingest.dead_letters.close()
                if ingest.shared is not None:
                    ingest.shared.close()
        finally:
            parts.close()
    log.info("stopped after applying %d messages", ingest.applied)
    return 0


def _watch(settings: Settings, ingest: IngestConsumer) -> ProgressWatch | None:
    """Ends the process if ingest stops making progress while messages wait."""
    from infra.progress import ProgressWatch

    if not settings.stall_after_s:
        return None
    return ProgressWatch(
        "ingest", lambda: ingest.backlog, lambda: ingest.handled, settings.stall_after_s
    ).start()
