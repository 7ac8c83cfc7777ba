"""The pure routing policy: what an alert intent means for alerts and for people.

No I/O and no clock reads: every function takes ``now`` and the current alerts and
returns a :class:`~consumers.alerts.model.Decision` that the store applies in one
transaction. Human-facing rules live here: one alert per ``alert_key`` episode (a group's
escalation and de-escalation update its open health alert), one message per change the
coordinator has not yet been told about (a newer change replaces a message not yet sent),
digests and quiet hours (via :mod:`timing`), inhibition of member lapses in a dormant
group, self-resolution with a "back on track" note, and snoozes that end when things get
worse.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from consumers.alerts.model import (
    AT_RISK,
    DELIVERED,
    DORMANT,
    ESCALATED,
    HEALTH_KINDS,
    INHIBITED,
    KIND_OF_LEVEL,
    LAPSED,
    LEVEL_RANK,
    NOTE_EASED,
    NOTE_ESCALATED,
    NOTE_OPS,
    NOTE_RAISED,
    NOTE_RESOLVED,
    NOTE_WORSE,
    OPS_RECIPIENT,
    RAISED,
    RECOVERED,
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
    pending: tuple[Notice, ...] = ()  # notices of ``current`` not yet sent


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


def urgent(kind: str) -> bool:
    """Told at once (quiet hours aside), not in the day's digest: a group entering
    ``at_risk`` (the moment it can still be saved) and a member's lapse (a person to reach
    out to this week). Everything else (dormancy, easing, recovery) waits for the digest
    of a reader who chose one."""
    return kind in (AT_RISK, LAPSED)


def tell(
    alert: Alert,
    purpose: str,
    ctx: Context,
    now: datetime,
    cfg: PolicyConfig,
    *,
    suffix: str = "",
    bypass_digest: bool = False,
) -> Decision:
    """The one message to the coordinator about ``alert``'s latest change.

    A message about this alert still waiting for the same reader (quiet hours, the digest)
    is superseded: the new one tells the latest state and what changed since the reader
    was last told, at the earlier of the two moments, so nobody gets two messages about
    the same change.
    """
    n = notice(alert, purpose, ctx.routing.coordinator, now, cfg, suffix=suffix,
               bypass_digest=bypass_digest)  # fmt: skip
    waiting = [p for p in _superseded(ctx) if p.recipient_id == n.recipient_id and p.key != n.key]
    if waiting:
        first = min(waiting, key=lambda p: p.not_before)
        if first.not_before < n.not_before:
            n = replace(n, not_before=first.not_before, digest_key=first.digest_key)
    return Decision(notices=[n], cancel_notices=[p.key for p in waiting])


def _superseded(ctx: Context) -> list[Notice]:
    """Waiting messages about the current alert that a newer change replaces: not the
    operations copies (each state is posted) nor an escalation to the lead (its own news)."""
    return [p for p in ctx.pending if p.purpose not in (NOTE_OPS, NOTE_ESCALATED)]


def ops_notice(alert: Alert, state: str, now: datetime, cfg: PolicyConfig) -> list[Notice]:
    """The operations-team copy (Alertmanager); never held for quiet hours."""
    if not cfg.ops:
        return []
    return [
        Notice(f"{alert.alert_id}:{NOTE_OPS}:{state}", alert.alert_id, NOTE_OPS, OPS_RECIPIENT, now)
    ]


def decide(intent: AlertIntent, ctx: Context, now: datetime, cfg: PolicyConfig) -> Decision:
    """Apply one alert intent."""
    open_ = ctx.current is not None and ctx.current.is_open
    if intent.kind == RECOVERED and intent.data.get("level") == "watch":
        # eased to watch: the episode goes on (watch alone never opens one)
        if not open_:
            return Decision()
        return _update(replace(intent, kind=KIND_OF_LEVEL["watch"]), ctx, now, cfg)
    if intent.kind in RESOLVING_KINDS:
        return _resolve(intent, ctx, now, cfg)
    if open_:
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
        d.notices.append(
            notice(alert, NOTE_RAISED, r.coordinator, now, cfg, bypass_digest=urgent(alert.kind))
        )
    d.alerts.append(alert)
    d.notices += ops_notice(alert, f"firing:{alert.kind}:{alert.gravity}", now, cfg)
    if intent.kind == DORMANT:
        d.extend(_inhibit(ctx.group_lapses, now))
    return d


def _update(intent: AlertIntent, ctx: Context, now: datetime, cfg: PolicyConfig) -> Decision:
    """The open alert's situation changed: same alert, new kind/gravity/detail.

    For a group's health every level change (escalation or de-escalation) is one message;
    a lapse that only grows (more misses) updates silently. A snoozed alert stays quiet
    unless it got worse than when it was snoozed, which ends the snooze.
    """
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
                note=f"{_level(cur)} -> {_level(alert)}"
                if intent.kind != cur.kind
                else f"gravity {cur.gravity} -> {intent.gravity}",
            )
        ]
    )
    baseline = cur.snooze_gravity if cur.snooze_gravity is not None else cur.gravity
    if cur.status == SNOOZED and intent.gravity > baseline:
        alert = replace(alert, status=DELIVERED, snoozed_until=None, snooze_gravity=None)
        d.log.append(LogEntry(cur.alert_id, "unsnoozed", now, note="the situation got worse"))
        d.extend(tell(alert, NOTE_WORSE, ctx, now, cfg, suffix=intent.id))
    elif cur.status != SNOOZED and intent.kind in HEALTH_KINDS and intent.kind != cur.kind:
        d.extend(_level_change(alert, worse, ctx, now, cfg, intent.id))
    if intent.kind != cur.kind or worse:
        d.notices += ops_notice(alert, f"firing:{alert.kind}:{alert.gravity}:{intent.id}", now, cfg)
    if intent.kind == DORMANT:
        d.extend(_inhibit(ctx.group_lapses, now))
    elif cur.kind == DORMANT:
        d.extend(_release(ctx, now, cfg))
    d.alerts.insert(0, alert)
    return d


def _level_change(
    alert: Alert, worse: bool, ctx: Context, now: datetime, cfg: PolicyConfig, change: str
) -> Decision:
    """One message about a group's new level, replacing any not yet sent.

    Never told of this episode yet: the message is its first ("raised") one, about the
    latest level — unless the group only eased back to watch, which alone is not worth a
    first message (what was waiting is withdrawn). Told before: "getting worse" or "easing",
    from what they were told to where it is now — or nothing, when changes that piled up
    before a delivery led back to the level they were told of.
    """
    rush = worse and urgent(alert.kind)
    withdraw = Decision(cancel_notices=[p.key for p in _superseded(ctx)])
    if alert.notified_at is None:
        if LEVEL_RANK.get(_level(alert), 0) < LEVEL_RANK["at_risk"]:
            return withdraw
        first = urgent(alert.kind)  # never heard of it, and it is at risk now: act now
        return tell(alert, NOTE_RAISED, ctx, now, cfg, suffix=change, bypass_digest=first)
    if alert.told_kind == alert.kind:  # back where they were last told it was: no news
        return withdraw
    purpose = NOTE_WORSE if worse else NOTE_EASED
    return tell(alert, purpose, ctx, now, cfg, suffix=change, bypass_digest=rush)


def _level(a: Alert) -> str:
    return str(a.detail.get("level") or a.kind)


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
        d.extend(tell(alert, NOTE_RESOLVED, ctx, now, cfg))
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
                notice(
                    released,
                    NOTE_RAISED,
                    ctx.routing.coordinator,
                    now,
                    cfg,
                    suffix="released",
                    bypass_digest=urgent(released.kind),
                )  # fmt: skip
            )
    return d
