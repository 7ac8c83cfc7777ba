"""One alert per group episode, one message per change, urgent vs. digest, severity by
actionability, and members named in lapse warnings — pure, with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from consumers.alerts import lifecycle
from consumers.alerts.directory import AppDirectory, digest_hour, digest_preference
from consumers.alerts.messages import Item, render, who
from consumers.alerts.model import (
    AT_RISK,
    DORMANT,
    ESCALATED,
    LAPSED,
    NOTE_EASED,
    NOTE_RAISED,
    NOTE_RESOLVED,
    NOTE_WORSE,
    RESOLVED,
    WATCH,
    Alert,
    Recipient,
)
from consumers.alerts.timing import QuietHours, after_quiet_hours, delivery_slot, next_digest_time
from projections.outputs.alert_intents import transition_kind
from tests.unit.alerts.factories import FakeClock, health, lapsed, recipient, reengaged, routing
from tests.unit.alerts.ledger import Ledger

DAILY = recipient(digest="daily", digest_hour=8, time_zone="Europe/Berlin")
WED = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # 11:00 in Berlin
THU_8_BERLIN = datetime(2026, 3, 5, 7, 0, tzinfo=UTC)


def at_risk(version: int = 5, previous: str = "watch"):
    return health("group-at-risk", "at_risk", previous, version=version)


def dormant(version: int = 9, previous: str = "at_risk"):
    return health("group-dormant", "dormant", previous, version=version)


def eased(level: str, version: int, previous: str = "at_risk"):
    return health("group-recovered", level, previous, version=version)


def people(led: Ledger):
    return led.people(list(led.pending.values()))


def text(led: Ledger, notice, r) -> str:
    item = Item(led.alerts[notice.alert_id], notice.purpose, r, "", notice.key)
    return render([item], r.coordinator, "http://x").text


def test_an_escalation_updates_the_open_alert_and_is_one_message_not_two():
    clock, led, r = FakeClock(WED), Ledger(), routing()
    led.receive(at_risk(), r, clock())
    assert len(led.people(led.deliver_due(r, clock()))) == 1
    led.receive(dormant(), r, clock.advance(seconds=1))
    assert len(led.alerts) == 1, "the episode is one alert"
    (alert,) = led.alerts.values()
    assert (alert.kind, alert.gravity, alert.told_kind) == (DORMANT, 3, AT_RISK)
    (worse,) = people(led)
    assert worse.purpose == NOTE_WORSE
    headline = text(led, worse, r).splitlines()[2]
    assert headline == "Getting worse: Tuesday Circle has gone quiet (dormant) (was at risk)."


def test_changes_that_pile_up_before_a_delivery_are_one_message_about_the_latest():
    clock = FakeClock(datetime(2026, 3, 4, 22, 30, tzinfo=UTC))  # 23:30 Berlin: quiet
    r = routing(coordinator=recipient(time_zone="Europe/Berlin"))
    led = Ledger()
    led.receive(at_risk(), r, clock())
    (held,) = people(led)
    assert held.not_before == datetime(2026, 3, 5, 7, 0, tzinfo=UTC)
    led.receive(dormant(), r, clock.advance(hours=2))
    (one,) = people(led)
    assert [n.key for n in led.cancelled] == [held.key]
    assert (one.purpose, one.not_before) == (NOTE_RAISED, held.not_before)
    body = text(led, one, r)
    assert "Tuesday Circle has gone quiet (dormant)." in body
    assert "Level now: dormant (before: at risk)" in body
    assert len(led.people(led.deliver_due(r, held.not_before))) == 1
    assert people(led) == []


def test_entering_at_risk_is_told_at_once_the_rest_waits_for_the_daily_digest():
    clock, led, r = FakeClock(WED), Ledger(), routing(coordinator=DAILY)
    led.receive(at_risk(), r, clock())
    (now,) = people(led)
    assert (now.not_before, now.digest_key) == (WED, None)
    led.deliver_due(r, clock())
    led.receive(dormant(), r, clock.advance(hours=1))
    (later,) = people(led)
    assert (later.not_before, later.digest_key) == (THU_8_BERLIN, "digest:coord-ana:2026-03-05")


def test_a_group_back_where_the_coordinator_was_last_told_needs_no_message():
    clock, led, r = FakeClock(WED), Ledger(), routing(coordinator=DAILY)
    led.receive(at_risk(), r, clock())
    led.deliver_due(r, clock())
    led.receive(dormant(), r, clock.advance(hours=1))
    assert len(people(led)) == 1
    led.receive(at_risk(version=11, previous="dormant"), r, clock.advance(hours=1))
    assert people(led) == [], "at risk → dormant → at risk before the digest: no news"
    assert led.one().kind == AT_RISK


def test_de_escalation_updates_the_alert_and_the_episode_ends_only_when_healthy():
    clock, led, r = FakeClock(WED), Ledger(), routing()
    led.receive(dormant(previous="watch"), r, clock())
    led.deliver_due(r, clock())
    led.receive(at_risk(version=10, previous="dormant"), r, clock.advance(days=1))
    (easing,) = people(led)
    assert easing.purpose == NOTE_EASED and easing.digest_key is None  # immediate reader
    assert text(led, easing, r).splitlines()[2] == (
        "Easing: Tuesday Circle is at risk of quietly fading (was dormant)."
    )
    led.deliver_due(r, clock())
    led.receive(eased("watch", 12), r, clock.advance(days=1))
    assert (led.one().kind, led.one().is_open, led.one().severity) == (WATCH, True, "info")
    led.deliver_due(r, clock())
    led.receive(at_risk(version=14, previous="watch"), r, clock.advance(days=1))
    assert len(led.alerts) == 1, "watch → at risk again is the same episode"
    (again,) = people(led)
    assert again.purpose == NOTE_WORSE
    led.deliver_due(r, clock())
    led.receive(eased("watch", 15), r, clock.advance(days=1))
    led.receive(eased("healthy", 16, previous="watch"), r, clock.advance(days=1))
    assert led.one().status == RESOLVED
    assert [n.purpose for n in people(led)] == [NOTE_RESOLVED], "the easing was superseded"


def test_easing_to_watch_before_anyone_was_told_is_not_a_first_message():
    clock = FakeClock(datetime(2026, 3, 4, 22, 30, tzinfo=UTC))  # quiet hours hold it
    led, r = Ledger(), routing()
    led.receive(at_risk(), r, clock())
    led.receive(eased("watch", 7), r, clock.advance(hours=1))
    assert people(led) == [] and led.one().is_open and led.one().kind == WATCH


def test_watch_alone_never_opens_an_episode():
    led, r = Ledger(), routing()
    led.receive(eased("watch", 3, previous="healthy"), r, WED)
    led.receive(eased("healthy", 4, previous="watch"), r, WED)
    assert led.alerts == {} and led.pending == {}


def test_a_lapse_is_urgent_its_end_waits_for_the_digest():
    clock, led, r = FakeClock(WED), Ledger(), routing(coordinator=DAILY)
    led.receive(lapsed(), r, clock())
    (warning,) = people(led)
    assert (warning.not_before, warning.digest_key) == (WED, None)
    led.deliver_due(r, clock())
    led.receive(reengaged(), r, clock.advance(hours=1))
    (back,) = people(led)
    assert (back.purpose, back.not_before) == (NOTE_RESOLVED, THU_8_BERLIN)


def test_a_snoozed_lapse_that_worsens_twice_before_delivery_is_one_message():
    clock = FakeClock(WED)
    led, r = Ledger(), routing(coordinator=DAILY)
    led.receive(lapsed(misses=3), r, clock())
    led.deliver_due(r, clock())
    led.apply(lifecycle.snooze(led.one(), clock() + timedelta(days=30), "coord-ana", clock()))
    led.receive(lapsed(misses=4, version=8), r, clock.advance(hours=22))  # 09:00 Berlin
    led.receive(lapsed(misses=5, version=9), r, clock.advance(hours=1))
    (worse,) = people(led)
    assert worse.purpose == NOTE_WORSE and led.one().gravity == 5


def test_severity_follows_actionability():
    clock, led, r = FakeClock(WED), Ledger(), routing()
    led.receive(at_risk(), r, clock())
    led.receive(lapsed(member="m-2"), r, clock())
    by_kind = {a.kind: a.severity for a in led.alerts.values()}
    led.receive(dormant(), r, clock())  # the same alert, now dormant
    by_kind |= {a.kind: a.severity for a in led.alerts.values()}
    assert by_kind == {AT_RISK: "critical", LAPSED: "warning", DORMANT: "warning"}
    up = Alert("a", "k", DORMANT, "p", "g", None, ESCALATED, WED, WED)
    assert up.severity == "critical", "nobody acknowledged it in time"


@pytest.mark.parametrize(
    ("now", "zone", "hour", "expected"),
    [
        # New York springs forward on Sunday 8 March 2026: 08:00 EDT is 12:00 UTC
        (datetime(2026, 3, 7, 15, 0, tzinfo=UTC), "America/New_York", 8,
         datetime(2026, 3, 8, 12, 0, tzinfo=UTC)),
        # …and falls back on Sunday 1 November: 08:00 EST is 13:00 UTC
        (datetime(2026, 10, 31, 14, 0, tzinfo=UTC), "America/New_York", 8,
         datetime(2026, 11, 1, 13, 0, tzinfo=UTC)),
        # 02:00 does not exist in Berlin on 29 March: the digest comes when clocks say 03:00
        (datetime(2026, 3, 28, 12, 0, tzinfo=UTC), "Europe/Berlin", 2,
         datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        # Tokyo, a day ahead of UTC
        (datetime(2026, 3, 4, 22, 0, tzinfo=UTC), "Asia/Tokyo", 8,
         datetime(2026, 3, 4, 23, 0, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_the_digest_comes_at_the_local_hour_across_time_zones_and_dst(now, zone, hour, expected):
    assert next_digest_time(now, zone, hour) == expected
    who_ = recipient(digest="daily", digest_hour=hour, time_zone=zone)
    at, key = delivery_slot(now, who_, QuietHours())
    assert at == expected
    assert key == f"digest:coord-ana:{expected.astimezone(ZoneInfo(zone)).date().isoformat()}"


def test_urgent_messages_keep_quiet_hours_in_the_readers_zone_across_dst():
    # 22:30 Berlin on the eve of the spring change: quiet until 08:00 CEST = 06:00 UTC
    late = datetime(2026, 3, 28, 21, 30, tzinfo=UTC)
    assert after_quiet_hours(late, "Europe/Berlin", QuietHours()) == datetime(
        2026, 3, 29, 6, 0, tzinfo=UTC
    )
    daily = recipient(digest="daily", time_zone="Europe/Berlin")
    assert delivery_slot(late, daily, QuietHours(), bypass_digest=True) == (
        datetime(2026, 3, 29, 6, 0, tzinfo=UTC),
        None,
    )


def test_a_coordinators_digest_preference_is_validated_and_daily_by_default():
    assert recipient(digest="daily").digest == "daily"
    assert digest_preference("immediate") == "immediate"
    assert digest_preference(None) == digest_preference("") == "daily"
    assert digest_preference("hourly") == "daily"
    assert (digest_hour(7), digest_hour("9"), digest_hour(24), digest_hour(None)) == (7, 9, 8, 8)
    assert Recipient("c", "Ana", "email", "a@example.org").digest == "daily"


def test_a_lapse_names_the_member_else_the_dashboards_label_never_a_member_of_this_group():
    member = str(uuid4())
    profiles = {
        "named": SimpleNamespace(forgotten=False, display_name="Maria Lopez", pseudonym="p-1"),
        "pseudonym": SimpleNamespace(forgotten=False, display_name="", pseudonym="peer-7"),
    }
    for case, expected in (("named", "Maria Lopez"), ("pseudonym", "peer-7")):
        app = SimpleNamespace(member_profile=lambda _id, p=profiles[case]: p)
        assert AppDirectory(app).member_name(member) == expected
    r = routing()
    alert = Alert("a", "k", LAPSED, r.program_id, r.group_id, member, "raised", WED, WED, 3)
    assert who(Item(alert, NOTE_RAISED, r, ""), r.coordinator) == f"Member {member[-4:]}"
    assert who(Item(alert, NOTE_RAISED, r, "peer-7"), r.lead) == "peer-7"
    stranger = recipient("coord-zed")
    assert who(Item(alert, NOTE_RAISED, r, "Maria"), stranger) == "a member of this group"


def test_a_digest_lists_each_change_once_grouped_by_group():
    r1 = routing()
    r2 = routing(group="g-2")
    r2 = type(r2)(**{**r2.__dict__, "group_name": "Monday Makers"})
    a1 = Alert("h1", "health:g1", DORMANT, r1.program_id, r1.group_id, None, "delivered", WED,
               WED, 3, {"level": "dormant"}, told_kind=AT_RISK, told_gravity=2)  # fmt: skip
    a2 = Alert("l1", "lapse:g1:m", LAPSED, r1.program_id, r1.group_id, "m-1", "raised", WED,
               WED, 3)  # fmt: skip
    a3 = Alert("h2", "health:g2", DORMANT, r2.program_id, "g-2", None, "raised", WED, WED, 3,
               {"level": "dormant", "previous_level": "at_risk"})  # fmt: skip
    items = [
        Item(a2, NOTE_RAISED, r1, "Maria"),
        Item(a3, NOTE_RAISED, r2, ""),
        Item(a1, NOTE_WORSE, r1, ""),
    ]
    msg = render(items, r1.coordinator, "http://x")
    assert msg.subject == "Your peerpulse digest: 3 updates on 2 groups"
    order = [
        "== Monday Makers",
        "Monday Makers has gone quiet (dormant).",
        "== Tuesday Circle",
        "Getting worse: Tuesday Circle has gone quiet (dormant) (was at risk).",
        "Maria has missed 3 sessions in a row in Tuesday Circle.",
    ]
    where = [msg.text.index(line) for line in order]
    assert where == sorted(where)
    assert all(msg.text.count(line) == 1 for line in order)
    assert msg.html.count("<h2>") == 2


def test_the_projection_closes_an_episode_that_eased_to_watch():
    assert transition_kind("healthy", "watch") == "group-recovered"
    assert transition_kind("watch", "at_risk") == "group-recovered"
    assert transition_kind("watch", "healthy") is None, "watch alone opens nothing"


def test_an_episode_nobody_heard_of_that_eases_to_at_risk_is_told_at_once():
    clock, led, r = FakeClock(WED), Ledger(), routing(coordinator=DAILY)
    led.receive(dormant(previous="healthy"), r, clock())
    (waiting,) = people(led)
    assert waiting.digest_key == "digest:coord-ana:2026-03-05"
    led.receive(at_risk(version=12, previous="dormant"), r, clock.advance(hours=1))
    (now,) = people(led)
    assert (now.purpose, now.not_before, now.digest_key) == (NOTE_RAISED, clock(), None)
