"""Pure lifecycle transitions driven by people and by time, not by intents.

Acknowledgement (with a comment) and taking it back, snooze, closing an alert by hand (the
group has ended), escalation to the program's lead when an alert is not acknowledged
within N business days, the end of a snooze, and the outcome of a delivery. Every function
takes ``now`` and returns a :class:`Decision`. An acknowledgement's comment is never lost:
a snooze keeps it (and the snooze ends back in ``acknowledged``), taking the
acknowledgement back keeps it in the log.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from consumers.alerts.model import (
    ACKNOWLEDGED,
    DELIVERED,
    ESCALATED,
    FAILED,
    NOTE_ESCALATED,
    NOTE_OPS,
    NOTE_REMINDER,
    RAISED,
    RESOLVED,
    SNOOZED,
    Alert,
    Decision,
    LogEntry,
    Notice,
    Routing,
)
from consumers.alerts.policy import PolicyConfig, notice, ops_notice
from consumers.alerts.timing import add_business_days


class LifecycleError(ValueError):
    """A person asked for something the alert's state does not allow."""


def _tz(routing: Routing) -> str:
    who = routing.coordinator or routing.lead
    return who.time_zone if who else "UTC"


def acknowledge(alert: Alert, by: str, comment: str, now: datetime) -> Decision:
    """Someone took it on: no escalation, no more reminders."""
    if not alert.is_open:
        raise LifecycleError(f"alert {alert.alert_id} is already {alert.status}")
    acked = replace(
        alert,
        status=ACKNOWLEDGED,
        acknowledged_by=by,
        ack_comment=comment,
        escalate_at=None,
        snoozed_until=None,
        snooze_gravity=None,
        updated_at=now,
    )
    return Decision(alerts=[acked], log=[LogEntry(alert.alert_id, ACKNOWLEDGED, now, by, comment)])


def snooze(alert: Alert, until: datetime, by: str, now: datetime) -> Decision:
    """Quiet until ``until`` — or until the situation gets worse, whichever comes first."""
    if not alert.is_open:
        raise LifecycleError(f"alert {alert.alert_id} is already {alert.status}")
    if until <= now:
        raise LifecycleError("a snooze must end in the future")
    snoozed = replace(
        alert, status=SNOOZED, snoozed_until=until, snooze_gravity=alert.gravity, updated_at=now
    )
    return Decision(
        alerts=[snoozed],
        log=[LogEntry(alert.alert_id, SNOOZED, now, by, f"until {until.isoformat()}")],
    )


def unacknowledge(alert: Alert, by: str, now: datetime, routing: Routing | None = None) -> Decision:
    """Take an acknowledgement back: the alert waits for someone again and its escalation
    clock restarts (when anyone was told of it). The comment stays, on the alert and in
    the log, until a new acknowledgement brings its own."""
    if alert.status != ACKNOWLEDGED and not (alert.status == SNOOZED and alert.acknowledged_by):
        raise LifecycleError(f"alert {alert.alert_id} is {alert.status}, not acknowledged")
    if alert.status == SNOOZED:  # still snoozed; it ends as a waiting alert
        back = replace(alert, acknowledged_by=None, updated_at=now)
    else:
        told = alert.notified_at is not None
        days, tz = (routing.escalate_after_days, _tz(routing)) if routing else (3, "UTC")
        back = replace(alert, status=DELIVERED if told else RAISED, acknowledged_by=None,
                       escalate_at=add_business_days(now, days, tz) if told else None,
                       updated_at=now)  # fmt: skip
    note = f"was: {alert.acknowledged_by}: {alert.ack_comment or ''}".rstrip(": ")
    return Decision(alerts=[back], log=[LogEntry(alert.alert_id, "unacknowledged", now, by, note)])


def close(alert: Alert, by: str, note: str, now: datetime) -> Decision:
    """A person closed the alert (the group has ended): resolved, nothing more to send."""
    if not alert.is_open:
        raise LifecycleError(f"alert {alert.alert_id} is already {alert.status}")
    done = replace(alert, status=RESOLVED, resolved_at=now, updated_at=now,
                   snoozed_until=None, snooze_gravity=None, escalate_at=None)  # fmt: skip
    return Decision(alerts=[done], log=[LogEntry(alert.alert_id, RESOLVED, now, by, note)],
                    cancel_pending=[alert.alert_id])  # fmt: skip


def tick(alert: Alert, routing: Routing, now: datetime, cfg: PolicyConfig) -> Decision:
    """Time passed: end an expired snooze, or escalate an unacknowledged alert to the lead."""
    if alert.status == SNOOZED and alert.snoozed_until and alert.snoozed_until <= now:
        if alert.acknowledged_by:  # snoozed after an ack: still someone's, no escalation
            kept = replace(alert, status=ACKNOWLEDGED, snoozed_until=None, snooze_gravity=None,
                           updated_at=now)  # fmt: skip
            return Decision(alerts=[kept], log=[LogEntry(alert.alert_id, "snooze-ended", now)])
        again = replace(
            alert,
            status=DELIVERED,
            snoozed_until=None,
            snooze_gravity=None,
            updated_at=now,
            escalate_at=add_business_days(now, routing.escalate_after_days, _tz(routing)),
        )
        return Decision(
            alerts=[again],
            log=[LogEntry(alert.alert_id, "snooze-ended", now)],
            notices=[
                notice(
                    again,
                    NOTE_REMINDER,
                    routing.coordinator,
                    now,
                    cfg,
                    suffix=alert.snoozed_until.isoformat(),
                )
            ],
        )
    if alert.status == DELIVERED and alert.escalate_at and alert.escalate_at <= now:
        up = replace(alert, status=ESCALATED, escalate_at=None, updated_at=now)
        lead = routing.lead or routing.coordinator
        return Decision(
            alerts=[up],
            log=[
                LogEntry(
                    alert.alert_id,
                    ESCALATED,
                    now,
                    note=f"not acknowledged within {routing.escalate_after_days} "
                    "business days; sent to the lead coordinator",
                )
            ],
            notices=[notice(up, NOTE_ESCALATED, lead, now, cfg, bypass_digest=True)]
            + ops_notice(up, ESCALATED, now, cfg),
        )
    return Decision()


def delivered(
    alert: Alert, sent: Notice, at: datetime, routing: Routing, told: Alert | None = None
) -> Decision:
    """A notice arrived; the first one to a person starts the escalation clock.

    ``told`` is the alert as the message described it (its kind and gravity are what the
    coordinator now knows, the baseline of the next "getting worse" or "easing" message).
    """
    log = [LogEntry(alert.alert_id, DELIVERED, at, note=f"{sent.purpose} -> {sent.recipient_id}")]
    if sent.purpose == NOTE_OPS:
        return Decision(log=log)
    updated = alert
    if told is not None and sent.purpose != NOTE_ESCALATED:
        updated = replace(updated, told_kind=told.kind, told_gravity=told.gravity)
    if alert.notified_at is None:
        updated = replace(updated, notified_at=at, updated_at=at)
        if alert.status == RAISED:
            updated = replace(
                updated,
                status=DELIVERED,
                escalate_at=add_business_days(at, routing.escalate_after_days, _tz(routing)),
            )
    return Decision(alerts=[updated] if updated != alert else [], log=log)


def failed(alert: Alert, sent: Notice, error: str, at: datetime) -> Decision:
    """The last retry failed: recorded and visible, never dropped."""
    return Decision(
        log=[
            LogEntry(
                alert.alert_id,
                FAILED,
                at,
                note=f"{sent.purpose} -> {sent.recipient_id or '?'}: {error}",
            )
        ]
    )
