"""The pure routing policy: what an alert intent means for alerts and for people.

No I/O and no clock reads: every function takes ``now`` and the current alerts and
returns a :class:`~consumers.alerts.model.Decision` that the store applies in one
transaction. Human-facing rules live here: dedup by ``alert_key``, digests and quiet
hours (via :mod:`timing`), inhibition of member lapses in a dormant group,
self-resolution with a "back on track" note, and snoozes that end when things get worse.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from consumers.alerts.model import (
    DELIVERED,
    DORMANT,
    ESCALATED,
    INHIBITED,
    LAPSED,
    NOTE_OPS,
    NOTE_RAISED,
    NOTE_RESOLVED,
    NOTE_WORSE,
    OPS_RECIPIENT,
    RAISED,
    RESOLVED,
    RESOLVING_KINDS,
    SNOOZED,
    Alert,
    AlertIntent,
    Decision,
    LogEntry,
    Notice,
    Recipient,
    Routing,
)
from consumers.alerts.timing import QuietHours, delivery_slot

ALERT_NAMESPACE = uuid.UUID("6f1c9a52-3d0e-4f4a-9a51-0b8f9e2f7c11")


@dataclass(frozen=True)
class PolicyConfig:
    """Tunables of the policy (from settings)."""

    quiet: QuietHours = field(default_factory=QuietHours)
    ops: bool = True
    unseen_summary_after: timedelta = timedelta(hours=24)
    """An alert raised and resolved before anyone was told (the router caught up after an
    outage) is summarised to the coordinator when it lasted at least this long."""


@dataclass(frozen=True)
class Context:
    """What the store knows when an intent arrives."""

    routing: Routing
    current: Alert | None = None  # open alert with the intent's alert_key
    health: Alert | None = None  # open group-health alert of the same group
    group_lapses: tuple[Alert, ...] = ()  # open member-lapse alerts of the same group


def alert_id_for(intent: AlertIntent) -> str:
    """Stable alert id: the same raising intent always yields the same id (replay-safe)."""
    return str(uuid.uuid5(ALERT_NAMESPACE, f"{intent.alert_key}|{intent.id}"))


def notice(
    alert: Alert,
    purpose: str,
    who: Recipient | None,
    now: datetime,
    cfg: PolicyConfig,
    *,
    suffix: str = "",
    bypass_digest: bool = False,
) -> Notice:
    """A notice for ``who`` at the right moment; no recipient fails visibly at delivery."""
    key = f"{alert.alert_id}:{purpose}{':' + suffix if suffix else ''}"
    if who is None:
        return Notice(key, alert.alert_id, purpose, "", now)
    at, digest = delivery_slot(now, who, cfg.quiet, bypass_digest=bypass_digest)
    return Notice(key, alert.alert_id, purpose, who.coordinator_id, at, digest)


def ops_notice(alert: Alert, state: str, now: datetime, cfg: PolicyConfig) -> list[Notice]:
    """The operations-team copy (Alertmanager); never held for quiet hours."""
    if not cfg.ops:
        return []
    return [
        Notice(f"{alert.alert_id}:{NOTE_OPS}:{state}", alert.alert_id, NOTE_OPS, OPS_RECIPIENT, now)
    ]


def decide(intent: AlertIntent, ctx: Context, now: datetime, cfg: PolicyConfig) -> Decision:
    """Apply one alert intent."""
    if intent.kind in RESOLVING_KINDS:
        return _resolve(intent, ctx, now, cfg)
    if ctx.current is not None and ctx.current.is_open:
        return _update(intent, ctx, now, cfg)
    return _raise(intent, ctx, now, cfg)


def _raise(intent: AlertIntent, ctx: Context, now: datetime, cfg: PolicyConfig) -> Decision:
    r = ctx.routing
    alert = Alert(
        alert_id=alert_id_for(intent),
        alert_key=intent.alert_key,
        kind=intent.kind,
        program_id=intent.program_id,
        group_id=intent.group_id,
        member_id=intent.member_id,
        status=RAISED,
        raised_at=intent.time,
        updated_at=now,
        gravity=intent.gravity,
        detail=dict(intent.data),
        coordinator_id=r.coordinator.coordinator_id if r.coordinator else None,
        lead_id=r.lead.coordinator_id if r.lead else None,
    )
    d = Decision(log=[LogEntry(alert.alert_id, RAISED, now, intent_id=intent.id)])
    if intent.kind == LAPSED and ctx.health is not None and ctx.health.kind == DORMANT:
        alert = replace(alert, status=INHIBITED)
        d.log.append(LogEntry(alert.alert_id, INHIBITED, now, note="the group is dormant"))
    else:
        d.notices.append(notice(alert, NOTE_RAISED, r.coordinator, now, cfg))
    d.alerts.append(alert)
    d.notices += ops_notice(alert, f"firing:{alert.kind}:{alert.gravity}", now, cfg)
    if intent.kind == DORMANT:
        d.extend(_inhibit(ctx.group_lapses, now))
    return d


def _update(intent: AlertIntent, ctx: Context, now: datetime, cfg: PolicyConfig) -> Decision:
    cur = ctx.current
    assert cur is not None
    worse = intent.gravity > cur.gravity
    alert = replace(
        cur, kind=intent.kind, gravity=intent.gravity, detail=dict(intent.data), updated_at=now
    )
    d = Decision(
        log=[
            LogEntry(
                cur.alert_id,
                "updated",
                now,
                intent_id=intent.id,
                note=f"gravity {cur.gravity} -> {intent.gravity}",
            )
        ]
    )
    baseline = cur.snooze_gravity if cur.snooze_gravity is not None else cur.gravity
    if cur.status == SNOOZED and intent.gravity > baseline:
        alert = replace(alert, status=DELIVERED, snoozed_until=None, snooze_gravity=None)
        d.log.append(LogEntry(cur.alert_id, "unsnoozed", now, note="the situation got worse"))
        d.notices.append(
            notice(alert, NOTE_WORSE, ctx.routing.coordinator, now, cfg, suffix=str(intent.gravity))
        )
    elif worse and intent.kind == DORMANT and cur.kind != DORMANT and cur.status != SNOOZED:
        d.notices.append(
            notice(alert, NOTE_WORSE, ctx.routing.coordinator, now, cfg, suffix=str(intent.gravity))
        )
    if worse:
        d.notices += ops_notice(alert, f"firing:{alert.kind}:{alert.gravity}", now, cfg)
    if intent.kind == DORMANT:
        d.extend(_inhibit(ctx.group_lapses, now))
    elif cur.kind == DORMANT:
        d.extend(_release(ctx, now, cfg))
    d.alerts.insert(0, alert)
    return d


def _resolve(intent: AlertIntent, ctx: Context, now: datetime, cfg: PolicyConfig) -> Decision:
    cur = ctx.current
    if cur is None or not cur.is_open:
        return Decision()
    alert = replace(
        cur,
        status=RESOLVED,
        resolved_at=intent.time,
        updated_at=now,
        snoozed_until=None,
        escalate_at=None,
    )
    d = Decision(alerts=[alert], log=[LogEntry(cur.alert_id, RESOLVED, now, intent_id=intent.id)])
    if cur.notified_at is None:
        d.cancel_pending.append(cur.alert_id)
        lasted = intent.time - cur.raised_at
        d.log[0] = replace(
            d.log[0], note=f"resolved before anyone was told; lasted {_span(lasted)}"
        )
        if lasted >= cfg.unseen_summary_after:
            d.notices.append(
                notice(alert, NOTE_RESOLVED, ctx.routing.coordinator, now, cfg, suffix="unseen")
            )
    else:
        d.notices.append(notice(alert, NOTE_RESOLVED, ctx.routing.coordinator, now, cfg))
        lead = ctx.routing.lead
        if cur.status == ESCALATED and lead and lead != ctx.routing.coordinator:
            d.notices.append(notice(alert, NOTE_RESOLVED, lead, now, cfg, suffix="lead"))
    d.notices += ops_notice(alert, RESOLVED, now, cfg)
    if cur.kind == DORMANT:
        d.extend(_release(ctx, now, cfg))
    return d


def _span(lasted: timedelta) -> str:
    """``"3 days 4 h"``, ``"5 h"``: how long an episode lasted, for people."""
    hours = int(lasted.total_seconds() // 3600)
    days, hours = divmod(max(0, hours), 24)
    return f"{days} day{'s' * (days != 1)} {hours} h" if days else f"{hours} h"


def _inhibit(lapses: tuple[Alert, ...], now: datetime) -> Decision:
    """A dormant group: hold back member-lapse warnings nobody has been told about yet."""
    d = Decision()
    for a in lapses:
        if a.is_open and a.status == RAISED and a.notified_at is None:
            d.alerts.append(replace(a, status=INHIBITED, updated_at=now))
            d.cancel_pending.append(a.alert_id)
            d.log.append(LogEntry(a.alert_id, INHIBITED, now, note="the group is dormant"))
    return d


def _release(ctx: Context, now: datetime, cfg: PolicyConfig) -> Decision:
    """The group left dormancy: inhibited lapse warnings matter again."""
    d = Decision()
    for a in ctx.group_lapses:
        if a.status == INHIBITED:
            released = replace(a, status=RAISED, updated_at=now)
            d.alerts.append(released)
            d.log.append(LogEntry(a.alert_id, "released", now, note="the group is active again"))
            d.notices.append(
                notice(released, NOTE_RAISED, ctx.routing.coordinator, now, cfg, suffix="released")
            )
    return d
