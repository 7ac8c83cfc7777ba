"""One test per human-facing routing behaviour, each with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from consumers.alerts import lifecycle
from consumers.alerts.model import (
    ACKNOWLEDGED,
    ESCALATED,
    INHIBITED,
    LAPSED,
    NOTE_ESCALATED,
    NOTE_RAISED,
    NOTE_RESOLVED,
    NOTE_WORSE,
    RESOLVED,
    SNOOZED,
)
from consumers.alerts.policy import alert_id_for
from tests.unit.alerts.factories import FakeClock, health, lapsed, recipient, reengaged, routing
from tests.unit.alerts.ledger import Ledger


def test_one_members_lapse_is_one_alert_until_it_resolves():
    clock, led, r = FakeClock(), Ledger(), routing()
    led.receive(lapsed(misses=3, version=7), r, clock())
    led.receive(lapsed(misses=4, version=8), r, clock.advance(days=7))
    led.receive(lapsed(misses=4, version=8), r, clock.advance(minutes=1))  # replayed intent
    assert len(led.alerts) == 1
    assert led.one().gravity == 4
    assert [n.purpose for n in led.people(list(led.pending.values()))] == [NOTE_RAISED]
    led.receive(reengaged(), r, clock.advance(days=1))
    led.receive(lapsed(misses=3, version=20), r, clock.advance(days=30))
    assert len(led.alerts) == 2, "a new lapse after re-engagement is a new alert"


def test_daily_digest_reader_hears_at_their_local_digest_hour():
    clock = FakeClock(datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
    reader = recipient(digest="daily", digest_hour=8, time_zone="America/New_York")
    led, r = Ledger(), routing(coordinator=reader)
    led.receive(health("group-dormant", "dormant", "at_risk", group="g-1"), r, clock())
    led.receive(
        health("group-dormant", "dormant", "at_risk", group="g-2"), r, clock.advance(hours=2)
    )
    held = led.people(list(led.pending.values()))
    assert {n.not_before for n in held} == {datetime(2026, 3, 4, 13, 0, tzinfo=UTC)}  # 08:00 EST
    assert {n.digest_key for n in held} == {"digest:coord-ana:2026-03-04"}
    assert led.people(led.deliver_due(r, clock.advance(minutes=59))) == []
    assert len(led.people(led.deliver_due(r, clock.advance(minutes=1)))) == 2


def test_dormant_group_suppresses_its_member_lapse_warnings():
    clock, led, r = FakeClock(), Ledger(), routing(coordinator=recipient(digest="daily"))
    led.receive(lapsed(member="m-1"), r, clock())  # held for tomorrow's digest
    led.receive(health("group-dormant", "dormant", "at_risk"), r, clock.advance(hours=1))
    led.receive(lapsed(member="m-2"), r, clock.advance(hours=1))
    lapses = [a for a in led.alerts.values() if a.kind == LAPSED]
    assert {a.status for a in lapses} == {INHIBITED}
    people = led.people(list(led.pending.values()))
    assert [n.alert_id for n in people] == [led.dormant().alert_id]


def test_quiet_hours_hold_the_message_until_morning_in_the_coordinators_zone():
    clock = FakeClock(datetime(2026, 3, 4, 22, 30, tzinfo=UTC))  # 23:30 in Berlin
    led, r = Ledger(), routing(coordinator=recipient(time_zone="Europe/Berlin"))
    led.receive(lapsed(), r, clock())
    (held,) = led.people(list(led.pending.values()))
    assert held.not_before == datetime(2026, 3, 5, 7, 0, tzinfo=UTC)  # 08:00 Berlin
    assert led.people(led.deliver_due(r, clock.advance(hours=6))) == []
    assert led.people(led.deliver_due(r, clock.advance(hours=3))) == [held]


def test_unacknowledged_alert_escalates_to_the_lead_after_n_business_days():
    clock, led, r = FakeClock(), Ledger(), routing(days=2)  # Wednesday
    led.receive(lapsed(), r, clock())
    led.deliver_due(r, clock())
    alert = led.one()
    assert alert.escalate_at == datetime(2026, 3, 6, 10, 0, tzinfo=UTC)  # Friday
    assert led.apply(lifecycle.tick(alert, r, clock.advance(days=1), led.cfg)).alerts == []
    led.apply(lifecycle.tick(led.one(), r, clock.advance(days=1), led.cfg))
    assert led.one().status == ESCALATED
    (to_lead,) = [n for n in led.pending.values() if n.purpose == NOTE_ESCALATED]
    assert to_lead.recipient_id == "coord-lee"


def test_acknowledged_alert_with_a_comment_never_escalates():
    clock, led, r = FakeClock(), Ledger(), routing(days=1)
    led.receive(lapsed(), r, clock())
    led.deliver_due(r, clock())
    led.apply(lifecycle.acknowledge(led.one(), "coord-ana", "Calling her tonight", clock()))
    led.apply(lifecycle.tick(led.one(), r, clock.advance(days=10), led.cfg))
    assert led.one().status == ACKNOWLEDGED
    assert led.one().ack_comment == "Calling her tonight"
    assert [e.note for e in led.log if e.event == ACKNOWLEDGED] == ["Calling her tonight"]
    led.receive(reengaged(), r, clock())
    with pytest.raises(lifecycle.LifecycleError):
        lifecycle.acknowledge(led.one(), "coord-ana", "too late", clock())


def test_reengaged_member_closes_the_alert_with_a_back_on_track_note():
    clock, led, r = FakeClock(), Ledger(), routing()
    led.receive(lapsed(), r, clock())
    led.deliver_due(r, clock())
    led.receive(reengaged(), r, clock.advance(days=2))
    assert led.one().status == RESOLVED
    (note,) = led.people(list(led.pending.values()))
    assert (note.purpose, note.recipient_id) == (NOTE_RESOLVED, "coord-ana")


def test_situation_that_fixed_itself_before_anyone_heard_is_not_sent_at_all():
    clock = FakeClock(datetime(2026, 3, 4, 23, 0, tzinfo=UTC))  # quiet hours
    led, r = Ledger(), routing()
    led.receive(lapsed(), r, clock())
    led.receive(reengaged(), r, clock.advance(hours=2))
    assert led.people(list(led.pending.values())) == []
    assert [n.purpose for n in led.cancelled] == [NOTE_RAISED]


def test_snooze_ends_by_itself_when_the_group_gets_worse():
    clock, led, r = FakeClock(), Ledger(), routing()
    led.receive(health("group-at-risk", "at_risk", "watch"), r, clock())
    led.deliver_due(r, clock())
    until = clock() + timedelta(days=14)
    led.apply(lifecycle.snooze(led.one(), until, "coord-ana", clock()))
    led.receive(health("group-at-risk", "at_risk", "watch", version=6), r, clock.advance(days=1))
    assert led.one().status == SNOOZED
    led.receive(health("group-dormant", "dormant", "at_risk", version=9), r, clock.advance(days=1))
    assert led.one().status != SNOOZED
    worse = [n for n in led.people(list(led.pending.values())) if n.purpose == NOTE_WORSE]
    assert len(worse) == 1


def test_snooze_ends_by_itself_when_a_lapsed_member_misses_more():
    clock, led, r = FakeClock(), Ledger(), routing()
    led.receive(lapsed(misses=3), r, clock())
    led.deliver_due(r, clock())
    led.apply(lifecycle.snooze(led.one(), clock() + timedelta(days=30), "coord-ana", clock()))
    led.receive(lapsed(misses=4, version=8), r, clock.advance(days=7))
    assert led.one().status != SNOOZED
    assert any(n.purpose == NOTE_WORSE for n in led.pending.values())


def test_snooze_that_runs_out_sends_a_reminder():
    clock, led, r = FakeClock(), Ledger(), routing()
    led.receive(lapsed(), r, clock())
    led.deliver_due(r, clock())
    led.apply(lifecycle.snooze(led.one(), clock() + timedelta(days=2), "coord-ana", clock()))
    assert led.apply(lifecycle.tick(led.one(), r, clock.advance(days=1), led.cfg)).notices == []
    d = led.apply(lifecycle.tick(led.one(), r, clock.advance(days=1), led.cfg))
    assert [n.purpose for n in d.notices] == ["reminder"]


def test_alert_id_is_stable_for_a_replayed_intent():
    assert alert_id_for(lapsed()) == alert_id_for(lapsed())
    assert alert_id_for(lapsed(version=7)) != alert_id_for(lapsed(version=30))


def test_an_episode_raised_and_resolved_before_anyone_was_told_is_recorded_and_summarised():
    """After an outage the router reads a raise and its resolve together: the history says
    the group was at risk and for how long, and the coordinator gets one summary (no
    'at risk' message for something already over) when it lasted a day or more."""
    clock, led, r = FakeClock(), Ledger(), routing()
    start = clock()
    led.receive(health("group-at-risk", "at_risk", "watch", version=5, at=start), r, clock())
    back = health("group-recovered", "healthy", "at_risk", version=9, at=start + timedelta(days=3))
    led.receive(back, r, clock())  # same moment: one batch after the outage
    alert = led.one()
    assert alert.status == RESOLVED
    assert [e.event for e in led.log if e.alert_id == alert.alert_id] == ["raised", RESOLVED]
    assert led.log[-1].note == "resolved before anyone was told; lasted 3 days 0 h"
    told = led.people(list(led.pending.values()))
    assert [(n.purpose, n.key.rsplit(":", 1)[-1]) for n in told] == [(NOTE_RESOLVED, "unseen")]


def test_a_short_episode_nobody_was_told_of_is_recorded_without_a_message():
    clock, led, r = FakeClock(), Ledger(), routing()
    start = clock()
    led.receive(health("group-at-risk", "at_risk", "watch", version=5, at=start), r, clock())
    back = health("group-recovered", "healthy", "at_risk", version=6, at=start + timedelta(hours=5))
    led.receive(back, r, clock())
    assert led.log[-1].note == "resolved before anyone was told; lasted 5 h"
    assert led.people(list(led.pending.values())) == []
