"""Reads :class:`api.status.Status` from where each role records its own progress.

Ingest: tracking records in the event store (the :data:`~api.ports.IngestPositions`
port); projection worker: the read model's checkpoint table; alert router: its Kafka
consumer group; relay: the newest stored notification id (the :class:`StoredLog` port)
against the ``pp-position`` watermarks of the events topic and its dead-letter topic.
Lock holders come from :mod:`infra.lock_holder`, ends and record timestamps from the
broker (:mod:`infra.kafka`). Built by the composition root (``peerpulse.pipeline``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from api.ports import IngestPositions
from api.readmodel import ReadModelReader
from api.status import PartitionLag, RelayPosition, RoleStatus, Status
from infra.errors import one_line
from infra.lock_holder import Holder
from infra.settings import Settings
from infra.topics import ALERTS, ATTENDANCE, EVENTS
from projections.readmodel import tables as T

Positions = dict[int, int]  # partition -> next offset to apply
ROLE_NAMES = ("ingest", "relay", "worker", "alerts")


class StoredLog(Protocol):
    """The event store's notification log, as far as the relay's lag needs it."""

    def head(self) -> int:
        """The newest notification id (0 when the store is empty)."""
        ...

    def recorded_at(self, position: int) -> datetime | None:
        """When the event at notification id ``position`` was recorded (None: unknown)."""
        ...


class ConsumerPositions:
    """Each consumer's next offset per partition, read from its own durable position."""

    def __init__(self, settings: Settings, reader: ReadModelReader,
                 ingest: IngestPositions) -> None:  # fmt: skip
        self.settings, self.reader, self._ingest = settings, reader, ingest

    def ingest(self, topic: str, partitions: list[int]) -> Positions:
        """Next offsets from the ingest consumer's tracking records."""
        return self._ingest(topic, partitions)

    def owners(self, consumer: str | None, topic: str) -> dict[int, Holder]:
        """Who owns each partition, where the role records it: the ingest processes that
        divide the topic on PostgreSQL write it with their shared watermark (0024); the
        projection workers claim theirs in the read model's checkpoint (0025)."""
        from infra.migrations.catalogue import INGEST_WATERMARKS
        from infra.sql import connect, is_postgres

        if consumer == "projections":
            return self._worker_owners(topic)
        if consumer != "ingest" or not is_postgres(self.settings):
            return {}
        conn = connect(self.settings, self.settings.sqlite_path)
        try:
            sql = f"SELECT partition, owner_pid, owner_host FROM {INGEST_WATERMARKS} WHERE topic=%s"
            rows = conn.execute(sql, (topic,)).fetchall()
        except Exception:  # noqa: BLE001 - a store before events_0002: no owners to show
            return {}
        finally:
            conn.close()
        return {int(p): Holder(pid, host) for p, pid, host in rows if pid is not None}

    def _worker_owners(self, topic: str) -> dict[int, Holder]:
        try:
            rows = self.reader.rows(
                f'SELECT "partition", owner FROM {T.CHECKPOINT.name}'
                " WHERE topic = ? AND owner IS NOT NULL",
                (topic,),
            )
        except Exception:  # noqa: BLE001 - a read model before 0025: no owners to show
            return {}
        return {int(r["partition"]): owner_holder(str(r["owner"])) for r in rows}

    def projections(self, topic: str, partitions: list[int]) -> Positions:
        """Next offsets from the projector's checkpoint table."""
        rows = self.reader.rows(
            f'SELECT "partition", next_offset FROM {T.CHECKPOINT.name} WHERE topic = ?', (topic,)
        )
        found = {int(r["partition"]): int(r["next_offset"]) for r in rows}
        return {p: found.get(p, 0) for p in partitions}

    def alerts(self, topic: str, partitions: list[int]) -> Positions:
        """Next offsets committed by the alert router's consumer group."""
        from kafka import TopicPartition

        from infra.kafka import consumer

        reader = consumer(self.settings.kafka_bootstrap, self.settings.alerts.group_id)
        try:
            found = {p: reader.committed(TopicPartition(topic, p)) for p in partitions}
        finally:
            reader.close(autocommit=False)
        return {p: offset or 0 for p, offset in found.items()}


@dataclass(frozen=True)
class Role:
    """A role as status reads it: its lock, its topic, and whose positions are its own."""

    name: str
    title: str
    lock: str
    topic: str
    consumer: str | None  # label of peerpulse_consumer_lag_messages; None for the relay


def roles(topics: dict[str, str] | None = None) -> tuple[Role, ...]:
    """The four singleton roles; ``topics`` (by consumer, or ``relay``) replaces topics."""
    t = {"ingest": ATTENDANCE.name, "projections": EVENTS.name, "alerts": ALERTS.name,
         **(topics or {})}  # fmt: skip
    relayed = t.get("relay", t["projections"])
    return (
        Role("ingest", "ingest", "ingest", t["ingest"], "ingest"),
        Role("relay", "relay", f"relay:{relayed}", relayed, None),
        Role("worker", "projection worker", "worker", t["projections"], "projections"),
        Role("alerts", "alert router", "alerts", t["alerts"], "alerts"),
    )


class StatusReader:
    """Reads every role's :class:`~api.status.RoleStatus`; see the module docstring."""

    def __init__(self, settings: Settings, positions: ConsumerPositions,
                 log: StoredLog | None = None, topics: dict[str, str] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:  # fmt: skip
        self.settings, self.positions, self.log, self.clock = settings, positions, log, clock
        self.roles = roles(topics)

    def read(self, only: Iterable[str] = ROLE_NAMES, *, holders: bool = True,
             seconds: bool = True) -> Status:  # fmt: skip
        """The status of the roles named in ``only``. Raises a one-line
        :class:`~infra.errors.UserFacingError` when the broker or the store does not
        answer; a role that cannot be read otherwise carries the reason in ``error``.
        ``holders``/``seconds`` False skip the lock lookups and the record timestamps."""
        from infra.broker_probe import wait_for_kafka
        from infra.kafka import consumer
        from infra.sql import check_reachable

        wait_for_kafka(self.settings.kafka_bootstrap, timeout=3.0)
        check_reachable(self.settings)
        wanted, now = set(only), self.clock()
        probe = consumer(self.settings.kafka_bootstrap, None)
        try:
            found = tuple(self._role(probe, role, now, holders, seconds)
                          for role in self.roles if role.name in wanted)  # fmt: skip
        finally:
            probe.close(autocommit=False)
        return Status(now, found)

    def close(self) -> None:
        """Close the read model connection opened for the projector's checkpoint."""
        self.positions.reader.close()

    def _role(self, probe: Any, role: Role, now: datetime, holders: bool,
              seconds: bool) -> RoleStatus:  # fmt: skip
        from infra.lock_holder import holder, sharers, standbys

        base = RoleStatus(role.name, role.title, role.lock, role.topic)
        try:
            count = len(probe.partitions_for_topic(role.topic) or ())
            if not count:
                raise LookupError(f"the broker has no topic {role.topic} (peerpulse topics create)")
            who = holder(self.settings, role.lock) if holders else None
            if role.consumer is None:
                relay = self._relay(probe, role.topic, count, now, seconds)
                waiting = standbys(self.settings, role.lock) if holders else ()
                return _with(base, who, count, relay=relay, standbys=waiting)
            lags = self._lags(probe, role, count, now, seconds)
            if holders:
                owners = self.positions.owners(role.consumer, role.topic)
                lags = tuple(replace(p, owner=owners.get(p.partition)) for p in lags)
            sharing = sharers(self.settings, role.lock) if holders else ()  # decision 0023
            return _with(base, who or next(iter(sharing), None), count, partitions=lags,
                         processes=sharing)  # fmt: skip
        except Exception as exc:  # one unreadable role must not hide the others
            return _with(base, None, 0, error=one_line(exc))

    def _lags(self, probe: Any, role: Role, count: int, now: datetime,
              seconds: bool) -> tuple[PartitionLag, ...]:  # fmt: skip
        from kafka import TopicPartition

        from infra.kafka import end_offsets, oldest_waiting

        tps = [TopicPartition(role.topic, p) for p in range(count)]
        ends = end_offsets(probe, tps)
        read = {"ingest": self.positions.ingest, "projections": self.positions.projections,
                "alerts": self.positions.alerts}[role.consumer or ""]  # fmt: skip
        at = read(role.topic, list(range(count)))
        ages: dict[int, float | None] = {tp.partition: None for tp in tps}
        if seconds:
            waiting = [tp for tp in tps if at[tp.partition] < ends[tp]]
            firsts = oldest_waiting(self.settings.kafka_bootstrap, {tp: at[tp.partition]
                                                                    for tp in waiting})  # fmt: skip
            ages = {tp.partition: 0.0 for tp in tps}
            for tp, record in firsts.items():
                ages[tp.partition] = None if record is None else _age(now, record.timestamp / 1000)
        return tuple(PartitionLag(tp.partition, ends[tp], at[tp.partition], ages[tp.partition])
                     for tp in tps)  # fmt: skip

    def _relay(self, probe: Any, topic: str, count: int, now: datetime,
               seconds: bool) -> RelayPosition:  # fmt: skip
        from infra.relay_positions import dlq_watermark, watermarks
        from infra.relay_quarantine import dlq_topic_for

        if self.log is None:
            raise LookupError("no event store to compare the relay's position with")
        bootstrap = self.settings.kafka_bootstrap
        marks = watermarks(bootstrap, topic, count)
        dlq = dlq_topic_for(topic)
        quarantined = dlq_watermark(bootstrap, dlq) if probe.partitions_for_topic(dlq) else 0
        relayed = max([*marks.values(), quarantined])
        stored = self.log.head()
        age: float | None = 0.0 if seconds else None
        if seconds and stored > relayed:
            recorded = self.log.recorded_at(relayed + 1)
            age = None if recorded is None else _age(now, recorded.timestamp())
        return RelayPosition(stored, relayed, marks, age)


def owner_holder(owner: str) -> Holder:
    """A claim's owner as the read model records it (``host pid=N``) as a Holder."""
    host, _, pid = owner.rpartition(" pid=")
    return Holder(int(pid) if pid.isdigit() else None, host or None)


def _age(now: datetime, unix_seconds: float) -> float:
    return round(max(0.0, now.timestamp() - unix_seconds), 3)


def _with(base: RoleStatus, holder: Any, count: int, **facts: Any) -> RoleStatus:
    from dataclasses import replace

    return replace(base, holder=holder, partition_count=count, **facts)
