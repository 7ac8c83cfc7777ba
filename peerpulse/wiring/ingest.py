"""Builds the ingest consumer: a Kafka consumer, a dead-letter producer and the app."""

from __future__ import annotations

from consumers.ingest.consumer import IngestConsumer
from consumers.ingest.dlq import DeadLetters
from consumers.ingest.shared_watermark import SharedWatermark
from domain.application import EngagementApp
from infra import kafka
from infra.settings import Settings
from infra.sql import connect, is_postgres


def ingest_consumer(settings: Settings, app: EngagementApp, topic: str, dlq_topic: str,
                    group_id: str, max_records: int = 5000) -> IngestConsumer:  # fmt: skip
    """An :class:`IngestConsumer` of ``topic`` applying to ``app``, poison to ``dlq_topic``."""
    kafka_consumer = kafka.consumer(
        settings.kafka_bootstrap, group_id,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        max_poll_records=max_records, fetch_max_bytes=16 * 1024 * 1024,
    )  # fmt: skip
    dead = DeadLetters(kafka.producer(settings.kafka_bootstrap), dlq_topic)
    app.trust_cache()  # this process is the only writer of the groups of its partitions
    shared = None
    if is_postgres(settings):  # several processes may divide the topic (decision 0024)
        shared = SharedWatermark(lambda: connect(settings, settings.sqlite_path), topic)
    return IngestConsumer(app, kafka_consumer, dead, topic, max_records=max_records,
                          shared=shared)  # fmt: skip
