"""The alert router's vocabulary: intents in, alerts and notices out. Plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

LAPSED = "member-lapsed"
REENGAGED = "member-reengaged"
AT_RISK = "group-at-risk"
DORMANT = "group-dormant"
RECOVERED = "group-recovered"
WATCH = "group-watch"
"""Not an intent: the kind of a health alert whose group eased back to ``watch`` (a
``group-recovered`` intent with ``level: watch``) while its episode stays open."""
RAISING_KINDS = (LAPSED, AT_RISK, DORMANT)
RESOLVING_KINDS = (REENGAGED, RECOVERED)
HEALTH_KINDS = (WATCH, AT_RISK, DORMANT)
KIND_OF_LEVEL = {"watch": WATCH, "at_risk": AT_RISK, "dormant": DORMANT}
LEVEL_OF_KIND = {k: level for level, k in KIND_OF_LEVEL.items()}

LEVEL_RANK = {"healthy": 0, "watch": 1, "at_risk": 2, "dormant": 3}

SEVERITY = {AT_RISK: "critical", LAPSED: "warning", DORMANT: "warning", WATCH: "info"}
"""Severity follows actionability (the alert catalogue, docs/contract/ALERTS.md): a group
at risk can still be saved, act now; a lapsed member needs a personal word this week; a
dormant group has gone quiet (reach out or close); watch is for information. An alert
nobody acknowledged in time (escalated to the lead) is ``critical`` whatever its kind."""

# Lifecycle statuses of an alert (the current one is on the alert, every change is logged).
RAISED = "raised"
DELIVERED = "delivered"
ACKNOWLEDGED = "acknowledged"
ESCALATED = "escalated"
SNOOZED = "snoozed"
RESOLVED = "resolved"
INHIBITED = "inhibited"
FAILED = "failed"
OPEN_STATUSES = (RAISED, DELIVERED, ACKNOWLEDGED, ESCALATED, SNOOZED, INHIBITED)

# Why a notice is sent.
NOTE_RAISED = "raised"
NOTE_WORSE = "worse"
NOTE_EASED = "eased"
NOTE_ESCALATED = "escalated"
NOTE_RESOLVED = "resolved"
NOTE_REMINDER = "reminder"
NOTE_OPS = "ops"
OPS_RECIPIENT = "ops"


@dataclass(frozen=True)
class AlertIntent:
    """One decoded message from ``peerpulse.alerts.v1`` (docs/contract/ALERTS.md)."""

    id: str
    kind: str
    time: datetime
    alert_key: str
    program_id: str
    group_id: str
    member_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def gravity(self) -> int:
        """How bad the situation is: misses for a lapse, level rank for group health."""
        if self.kind == LAPSED:
            return int(self.data.get("misses") or 0)
        return LEVEL_RANK.get(str(self.data.get("level")), 0)


DIGESTS = ("immediate", "daily")
"""A coordinator's digest preference: ``daily`` (the default) gathers non-urgent changes
into one message at their local ``digest_hour``; ``immediate`` sends each at once (quiet
hours aside). Urgent ones (:func:`~consumers.alerts.policy.urgent`) never wait."""


@dataclass(frozen=True)
class Recipient:
    """A coordinator as the router needs them: how and when to reach them."""

    coordinator_id: str
    name: str
    channel: str  # email | webhook | slack
    address: str  # e-mail address or webhook URL
    time_zone: str = "UTC"
    digest: str = "daily"  # see DIGESTS
    digest_hour: int = 8


@dataclass(frozen=True)
class Routing:
    """Who is responsible for one group: its coordinator (else the lead) and the lead."""

    program_id: str
    group_id: str
    coordinator: Recipient | None
    lead: Recipient | None
    program_name: str = ""
    group_name: str = ""
    escalate_after_days: int = 3


@dataclass(frozen=True)
class Alert:
    """One situation (one ``alert_key``) from raised until resolved."""

    alert_id: str
    alert_key: str
    kind: str
    program_id: str
    group_id: str
    member_id: str | None
    status: str
    raised_at: datetime
    updated_at: datetime
    gravity: int = 0
    detail: dict[str, Any] = field(default_factory=dict)
    coordinator_id: str | None = None
    lead_id: str | None = None
    notified_at: datetime | None = None
    escalate_at: datetime | None = None
    snoozed_until: datetime | None = None
    snooze_gravity: int | None = None
    acknowledged_by: str | None = None
    ack_comment: str | None = None
    resolved_at: datetime | None = None
    told_kind: str | None = None
    """The kind (for group health: the level) the coordinator last read about."""
    told_gravity: int | None = None
    """The gravity the coordinator last read about (misses, level rank)."""

    @property
    def is_open(self) -> bool:
        """Not yet resolved."""
        return self.status in OPEN_STATUSES

    @property
    def severity(self) -> str:
        """Alertmanager-style severity, by actionability (see :data:`SEVERITY`)."""
        return "critical" if self.status == ESCALATED else SEVERITY.get(self.kind, "warning")


@dataclass(frozen=True)
class Notice:
    """One message to send (an outbox row); ``key`` is its stable idempotency key."""

    key: str
    alert_id: str
    purpose: str
    recipient_id: str
    not_before: datetime
    digest_key: str | None = None


@dataclass(frozen=True)
class LogEntry:
    """One line of an alert's durable lifecycle."""

    alert_id: str
    event: str
    at: datetime
    by: str = "router"
    note: str = ""
    intent_id: str | None = None


@dataclass
class Decision:
    """What the policy wants done, applied by the store in one transaction."""

    alerts: list[Alert] = field(default_factory=list)
    log: list[LogEntry] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    cancel_pending: list[str] = field(default_factory=list)  # alert ids
    cancel_notices: list[str] = field(default_factory=list)  # notice keys (superseded)

    def extend(self, other: Decision) -> Decision:
        """Merge another decision into this one."""
        self.alerts += other.alerts
        self.log += other.log
        self.notices += other.notices
        self.cancel_pending += other.cancel_pending
        self.cancel_notices += other.cancel_notices
        return self
