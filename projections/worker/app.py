"""The faust app: one agent on the events topic that decodes, projects, stores and emits.

Built inside :func:`build_app` (nothing at import time). The agent body holds no logic:
records go to the shared :class:`~projections.worker.runner.ProjectionRunner`, its health records
and alert intents are published and flushed, then the batch is committed to the read model.
No faust tables or changelogs: state lives in the read model (decision 0006).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_kafka

from infra.settings import Settings
from projections.worker.observe import Observer
from projections.worker.runner import ProjectionRunner
from projections.worker.wire import ProjectionTopics, messages

log = logging.getLogger(__name__)
BATCH_MAX = 1000
BATCH_WITHIN = timedelta(milliseconds=100)
FETCH_MAX_WAIT_MS = 50
"""faust 0.15.3 hard-codes aiokafka's ``fetch_max_wait_ms=1500``, and Tansu holds a fetch
that long unless every partition has data: ~400 ms median latency at 200 msg/s. 50 ms
brings publish → read model to about 100 ms (benchmarks/projections.py)."""


class _ConsumerThread(faust_kafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # read by AIOKafkaConsumer.start()
        return consumer


class _Consumer(faust_kafka.Consumer):
    resume_at: Callable[[], dict[Any, int]] | None = None
    """Where the read model says to read each assigned partition (set by build_app)."""

    def _new_consumer_thread(self) -> _ConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def perform_seek(self) -> None:
        """faust seeks every partition to the group's committed offsets after each
        rebalance (and when flow stops). Those can be ahead of the read model — a worker
        acknowledged a batch whose write then failed, or was fenced — so the read model's
        checkpoint has the last word; seeks go through the consumer's own thread."""
        await super().perform_seek()
        offsets = self.resume_at() if self.resume_at is not None else {}
        if offsets:
            await self.seek_wait(offsets)


class LowLatencyTransport(faust_kafka.Transport):
    """faust's aiokafka transport with a short broker-side fetch wait."""

    Consumer = _Consumer


def build_app(
    settings: Settings,
    runner: ProjectionRunner,
    names: ProjectionTopics,
    group_id: str,
    owner: str,
    observer: Observer | None = None,
    on_failure: Callable[[Exception], None] | None = None,
) -> faust.App:
    """A faust app whose single agent feeds ``runner`` (made with ``restore=False``) from
    ``names.events``.

    The worker shares the topic with the others in its consumer group (decision 0025). At
    every assignment the runner gives up the partitions it lost, claims the new ones in
    ``owner``'s name (``host pid=N``; the claim fences out their previous owner) and
    restores their states, and the consumer reads each new one from its checkpoint.

    A batch that cannot be projected, published or committed (the read model refuses the
    write, another worker took a partition over, the broker is gone for good) stops the
    agent; faust would leave the process up and idle, so ``on_failure`` is told, and the
    worker command stops with exit status 3 for its supervisor to restart it from the read
    model's checkpoint."""
    app = faust.App(
        group_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        web_enabled=False,
        autodiscover=False,
        store="memory://",
        datadir=str(settings.data_dir / "faust"),
        broker_session_timeout=settings.kafka_session_timeout_ms / 1000,
        broker_heartbeat_interval=max(0.1, settings.kafka_session_timeout_ms / 3000),
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=settings.topic_partitions,
    )
    app.transport = LowLatencyTransport(app.conf.broker_consumer, app)
    source = app.topic(names.events, key_serializer="raw", value_serializer="raw")
    sinks = {
        name: app.topic(name, key_serializer="raw", value_serializer="raw")
        for name in (names.group_health, names.alerts)
    }
    observer = observer or Observer()
    between_batches = asyncio.Lock()  # an assignment never lands in the middle of a batch

    async def batches(stream: Any) -> None:
        async for events in stream.take_events(BATCH_MAX, within=BATCH_WITHIN):
            async with between_batches:
                newest = None
                for event in events:
                    msg = event.message
                    runner.handle(event.value, msg.headers, msg.partition, msg.offset)
                    newest = msg.timestamp
                out = runner.drain()
                for topic, key, value in messages(out, names):
                    await sinks[topic].send(key=key, value=value)
                await app.producer.flush()
                runner.commit()
                observer.after(runner, out, int(newest * 1000) if newest else None)

    @app.on_partitions_assigned.connect
    async def resume_at_checkpoint(sender: Any, assigned: Any, **_: Any) -> None:
        """Take the assignment over in the runner (claims, states) and have the consumer
        read each partition from the read model's checkpoint, whatever the group's
        committed offsets say (:meth:`_Consumer.perform_seek`, which faust runs once the
        rebalance completes)."""
        ours = {tp.partition: tp for tp in assigned if tp.topic == names.events}
        async with between_batches:
            runner.assign(set(ours), owner)
            observer.owned(runner)
        app.consumer.resume_at = lambda: {tp: runner.positions.get(p, 0) for p, tp in ours.items()}

    @app.agent(source, concurrency=1)
    async def project(stream: Any) -> None:
        try:
            await batches(stream)
        except Exception as exc:
            log.debug("projection agent failed", exc_info=True)
            if on_failure is None:
                raise
            on_failure(exc)  # the command reports it in one line and exits

    return app
