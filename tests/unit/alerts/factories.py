"""Builders for alert-router unit tests: intents per ALERTS.md, routings, a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from consumers.alerts.model import AlertIntent, Recipient, Routing

PROGRAM = "11111111-1111-1111-1111-111111111111"
GROUP = "22222222-2222-2222-2222-222222222222"
MEMBER = "33333333-3333-3333-3333-333333333333"
# A Wednesday, 10:00 UTC.
NOON_ISH = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


class FakeClock:
    """An injected clock the test moves by hand."""

    def __init__(self, now: datetime = NOON_ISH) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


def recipient(cid: str = "coord-ana", **kw) -> Recipient:
    base = dict(
        name="Ana", channel="email", address="ana@example.org", time_zone="UTC", digest="immediate"
    )
    return Recipient(coordinator_id=cid, **{**base, **kw})


def routing(
    coordinator: Recipient | None = None,
    lead: Recipient | None = None,
    days: int = 3,
    group: str = GROUP,
) -> Routing:
    return Routing(
        program_id=PROGRAM,
        group_id=group,
        coordinator=coordinator or recipient(),
        lead=lead or recipient("coord-lee", name="Lee", address="lee@example.org"),
        program_name="Founders Circle",
        group_name="Tuesday Circle",
        escalate_after_days=days,
    )


def lapsed(
    misses: int = 3,
    member: str = MEMBER,
    version: int = 7,
    group: str = GROUP,
    at: datetime = NOON_ISH,
) -> AlertIntent:
    return AlertIntent(
        id=f"{group}:member-lapsed:{member}:{version}",
        kind="member-lapsed",
        time=at,
        alert_key=f"lapse:{group}:{member}",
        program_id=PROGRAM,
        group_id=group,
        member_id=member,
        data={"misses": misses, "last_seen": "2026-02-10T18:00:00+00:00"},
    )


def reengaged(
    member: str = MEMBER, version: int = 9, at: datetime = NOON_ISH, group: str = GROUP
) -> AlertIntent:
    return AlertIntent(
        id=f"{group}:member-reengaged:{member}:{version}",
        kind="member-reengaged",
        time=at,
        alert_key=f"lapse:{group}:{member}",
        program_id=PROGRAM,
        group_id=group,
        member_id=member,
        data={},
    )


def health(
    kind: str,
    level: str,
    previous: str,
    version: int = 5,
    at: datetime = NOON_ISH,
    group: str = GROUP,
) -> AlertIntent:
    return AlertIntent(
        id=f"{group}:{kind}:-:{version}",
        kind=kind,
        time=at,
        alert_key=f"health:{group}",
        program_id=PROGRAM,
        group_id=group,
        data={
            "level": level,
            "previous_level": previous,
            "score": 0.7,
            "reasons": [{"code": "silence", "text": "No session for 19 days", "weight": 0.6}],
        },
    )


def container(settings, directory, clock: FakeClock, **alert_settings):
    """The real composition root with a fixed directory, fake clock and no real sleeping."""
    from infra.settings import AlertSettings
    from peerpulse.build import build

    sleeps: list[float] = []
    base = dict(attempts=3, backoff_base_s=0.5)
    alerts = AlertSettings(**{**base, **alert_settings})
    c = build(
        settings.model_copy(update={"alerts": alerts}),
        alert_directory=directory,
        alert_clock=clock,
        alert_sleeper=sleeps.append,
    )
    c.sleeps = sleeps
    return c
