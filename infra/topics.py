"""The topic catalogue: every Kafka topic peerpulse reads or writes, declared once."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Topic:
    """One topic: its name, what its key is, what its values are, how long it keeps them."""

    name: str
    key: str
    value: str
    description: str
    compacted: bool = False
    retention_ms: int | None = None
    partitions: int | None = None  # None: Settings.topic_partitions
    configs: dict[str, str] = field(default_factory=dict)

    def topic_configs(self) -> dict[str, str]:
        """Broker-side configs for topic creation."""
        cfg = dict(self.configs)
        cfg["cleanup.policy"] = "compact" if self.compacted else "delete"
        if self.retention_ms is not None:
            cfg["retention.ms"] = str(self.retention_ms)
        return cfg


ATTENDANCE = Topic(
    "peerpulse.attendance.v1",
    key="group external id (or any: ordering per key)",
    value="CloudEvents JSON, ingest contract (docs/contract/ingest)",
    description="Input: attendance and roster facts from other systems.",
    retention_ms=7 * 24 * 3600 * 1000,
)
ATTENDANCE_DLQ = Topic(
    "peerpulse.attendance.dlq.v1",
    key="the original key",
    value="the original bytes; headers pp-error-code, pp-error-reason, pp-source-*",
    description="Rejected input with the reason, for a person to fix and resend.",
    retention_ms=30 * 24 * 3600 * 1000,
)
EVENTS = Topic(
    "peerpulse.events.v1",
    key="group id (program, member, clock events: their own id)",
    value="CloudEvents JSON, public domain events (docs/contract/EVENTS.md)",
    description="Public domain events relayed in order from the event store.",
)
GROUP_HEALTH = Topic(
    "peerpulse.group-health.v1",
    key="group id",
    value="latest assessment of the group (level, score, reasons)",
    description="Latest health per group, emitted on change.",
    compacted=True,
)
ALERTS = Topic(
    "peerpulse.alerts.v1",
    key="group id",
    value="alert intents (docs/contract/ALERTS.md)",
    description="Alert intents for the router: lapses and level transitions.",
)

ALL_TOPICS: tuple[Topic, ...] = (ATTENDANCE, ATTENDANCE_DLQ, EVENTS, GROUP_HEALTH, ALERTS)
