"""Mapping between alert-router dataclasses and SQL rows."""

from __future__ import annotations

import json
from typing import Any

from consumers.alerts.model import Alert, LogEntry, Notice
from consumers.alerts.sql import parse_ts, ts

ALERT_COLUMNS = (
    "alert_id, alert_key, kind, program_id, group_id, member_id, status, raised_at, "
    "updated_at, gravity, detail, coordinator_id, lead_id, notified_at, escalate_at, "
    "snoozed_until, snooze_gravity, acknowledged_by, ack_comment, resolved_at, told_kind, "
    "told_gravity"
)
NOTICE_COLUMNS = "notice_key, alert_id, purpose, recipient_id, not_before, digest_key"


def alert_params(a: Alert) -> tuple[Any, ...]:
    """An alert as a row, in ``ALERT_COLUMNS`` order."""
    return (
        a.alert_id,
        a.alert_key,
        a.kind,
        a.program_id,
        a.group_id,
        a.member_id,
        a.status,
        ts(a.raised_at),
        ts(a.updated_at),
        a.gravity,
        json.dumps(a.detail, default=str),
        a.coordinator_id,
        a.lead_id,
        ts(a.notified_at),
        ts(a.escalate_at),
        ts(a.snoozed_until),
        a.snooze_gravity,
        a.acknowledged_by,
        a.ack_comment,
        ts(a.resolved_at),
        a.told_kind,
        a.told_gravity,
    )


def alert_from(row: tuple) -> Alert:
    """The inverse of :func:`alert_params`."""
    (
        alert_id,
        key,
        kind,
        program,
        group,
        member,
        status,
        raised,
        updated,
        gravity,
        detail,
        coord,
        lead,
        notified,
        escalate,
        snoozed,
        snooze_g,
        ack_by,
        ack_c,
        resolved,
        told_kind,
        told_gravity,
    ) = row
    return Alert(
        alert_id=alert_id,
        alert_key=key,
        kind=kind,
        program_id=program,
        group_id=group,
        member_id=member,
        status=status,
        raised_at=parse_ts(raised),
        updated_at=parse_ts(updated),
        gravity=int(gravity),
        detail=json.loads(detail),
        coordinator_id=coord,
        lead_id=lead,
        notified_at=parse_ts(notified),
        escalate_at=parse_ts(escalate),
        snoozed_until=parse_ts(snoozed),
        snooze_gravity=snooze_g,
        acknowledged_by=ack_by,
        ack_comment=ack_c,
        resolved_at=parse_ts(resolved),
        told_kind=told_kind,
        told_gravity=None if told_gravity is None else int(told_gravity),
    )


def notice_from(row: tuple) -> Notice:
    """A notice from ``NOTICE_COLUMNS``."""
    key, alert_id, purpose, recipient, not_before, digest = row[:6]
    return Notice(key, alert_id, purpose, recipient, parse_ts(not_before), digest)


def log_from(row: tuple) -> LogEntry:
    """A lifecycle line from ``alert_id, event, at, by_whom, note, intent_id``."""
    alert_id, event, at, by, note, intent_id = row
    return LogEntry(alert_id, event, parse_ts(at), by, note, intent_id)
