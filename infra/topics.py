"""The topic catalogue: every Kafka topic peerpulse reads or writes, declared once.

``create_topics`` and ``describe_topics`` are the only code that creates or inspects them
(``peerpulse topics create|list``); clients are imported lazily, nothing connects at import.
"""

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
    description="Input: attendance and roster facts from other systems. Kept 7 days: what a "
    "sender produces itself may carry names in clear (the HTTP door seals them first).",
    retention_ms=7 * 24 * 3600 * 1000,
)
ATTENDANCE_DLQ = Topic(
    "peerpulse.attendance.dlq.v1",
    key="the original key",
    value="the original bytes with personal fields replaced by a marker (a prefix if the copy "
    "would not fit one producer request); headers pp-error-code, pp-error-reason, "
    "pp-source-*, pp-redacted naming the replaced fields, pp-original-* when cut",
    description="Rejected input with the reason, for a person to fix and resend. Kept 7 days: "
    "a value that is not JSON cannot be redacted and may still hold personal data.",
    retention_ms=7 * 24 * 3600 * 1000,
)
EVENTS = Topic(
    "peerpulse.events.v1",
    key="group id (program, member, clock events: their own id)",
    value="CloudEvents JSON, public domain events (docs/contract/EVENTS.md)",
    description="Public domain events relayed in order from the event store.",
)
EVENTS_DLQ = Topic(
    "peerpulse.events.dlq.v1",
    key="aggregate id of the stored event (the relay writes partition 0 only, in order)",
    value="JSON: notification id (position), stored type, aggregate id and version, reason, "
    "the raw stored bytes in base64 (sealed personal data stays sealed); headers pp-position, "
    "pp-stored-type, pp-error-reason",
    description="Stored events the relay could not decode or translate to their wire model, "
    "quarantined with the reason instead of stopping the relay.",
    retention_ms=30 * 24 * 3600 * 1000,
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

ALL_TOPICS: tuple[Topic, ...] = (
    ATTENDANCE,
    ATTENDANCE_DLQ,
    EVENTS,
    EVENTS_DLQ,
    GROUP_HEALTH,
    ALERTS,
)

TOPICS_BY_NAME: dict[str, Topic] = {t.name: t for t in ALL_TOPICS}

TOPIC_ALREADY_EXISTS = 36


class TopicCreationError(RuntimeError):
    """The broker refused to create a catalogue topic for a reason other than "it exists"."""


def create_topics(
    bootstrap: str, partitions: int, topics: tuple[Topic, ...] = ALL_TOPICS
) -> dict[str, bool]:
    """Create every catalogue topic that is missing; return ``{name: created_now}``.

    Idempotent: a topic that already exists is left as it is (its partition count and
    configs are not changed). ``partitions`` applies to topics without their own count.
    """
    from infra.kafka import admin

    requested = {
        t.name: {
            "num_partitions": t.partitions or partitions,
            "replication_factor": -1,
            "configs": t.topic_configs(),
        }
        for t in topics
    }
    client = admin(bootstrap)
    try:
        response = client.create_topics(requested, raise_errors=False)
    finally:
        client.close()
    created: dict[str, bool] = {}
    for result in response["topics"]:
        code = result["error_code"]
        if code not in (0, TOPIC_ALREADY_EXISTS):
            raise TopicCreationError(
                f"cannot create {result['name']}: {result['error_message'] or f'error {code}'}"
            )
        created[result["name"]] = code == 0
    return created


def describe_topics(bootstrap: str) -> dict[str, int | None]:
    """Partition count of every catalogue topic on the broker (None: missing)."""
    from infra.kafka import admin

    client = admin(bootstrap)
    try:
        existing = {t["name"]: len(t["partitions"]) for t in client.describe_topics()}
    finally:
        client.close()
    return {t.name: existing.get(t.name) for t in ALL_TOPICS}
