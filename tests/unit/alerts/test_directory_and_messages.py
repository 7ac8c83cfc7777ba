"""Who hears about an alert, and what they read: the app-backed directory and the texts."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import uuid4

from consumers.alerts.directory import AppDirectory
from consumers.alerts.messages import FORGOTTEN, Item, render
from consumers.alerts.model import Alert
from domain.application import EngagementApp
from tests.unit.alerts.factories import NOON_ISH, recipient, routing
from tests.unit.domain.conftest import FakeVault


def _app_with_program():
    app = EngagementApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, vault=FakeVault())
    program, lead, coord, group, bare = uuid4(), uuid4(), uuid4(), uuid4(), uuid4()
    app.launch_program(
        program, "Founders Circle", "Acme", "weekly", NOON_ISH, escalate_after_days=5
    )
    app.assign_coordinator(
        program, lead, "Lee", "lee@example.org", "Europe/Berlin", "email", NOON_ISH
    )
    app.assign_coordinator(
        program,
        coord,
        "Ana",
        "https://hooks.example.org/ana",
        "UTC",
        "slack",
        NOON_ISH,
        digest="daily",
        digest_hour=9,
    )
    app.set_lead_coordinator(program, lead, NOON_ISH)
    app.form_group(
        group, program, "Tuesday Circle", "weekly", "ship", NOON_ISH, coordinator_id=coord
    )
    app.form_group(bare, program, "Orphans", "weekly", "ship", NOON_ISH)
    return app, str(program), str(group), str(bare), str(coord), str(lead)


def test_group_coordinator_receives_and_the_lead_is_the_escalation_target():
    app, program, group, _, coord, lead = _app_with_program()
    r = AppDirectory(app).routing(program, group)
    assert r.coordinator.coordinator_id == coord and r.coordinator.channel == "slack"
    assert (r.coordinator.digest, r.coordinator.digest_hour) == ("daily", 9)
    assert r.lead.coordinator_id == lead and r.lead.time_zone == "Europe/Berlin"
    assert (r.group_name, r.program_name, r.escalate_after_days) == (
        "Tuesday Circle",
        "Founders Circle",
        5,
    )


def test_group_without_coordinator_goes_to_the_lead():
    app, program, _, bare, _, lead = _app_with_program()
    r = AppDirectory(app).routing(program, bare)
    assert r.coordinator.coordinator_id == lead and r.coordinator.address == "lee@example.org"


def test_forgotten_member_has_no_name():
    app, *_ = _app_with_program()
    member = uuid4()
    app.register_member(member, "p-17", "Maria Lopez", "maria@example.org", NOON_ISH)
    d = AppDirectory(app)
    assert d.member_name(str(member)) == "Maria Lopez"
    app.forget_member(member, NOON_ISH)
    assert d.member_name(str(member)) is None
    assert d.member_name(str(uuid4())) == ""


def _alert(**kw) -> Alert:
    r = routing()
    base = dict(
        alert_id="a-1",
        alert_key="lapse:g:m",
        kind="member-lapsed",
        program_id=r.program_id,
        group_id=r.group_id,
        member_id="m",
        status="delivered",
        raised_at=NOON_ISH,
        updated_at=NOON_ISH,
        gravity=3,
        detail={"misses": 3, "last_seen": "2026-02-10T18:00:00+00:00"},
    )
    return Alert(**{**base, **kw})


def test_message_says_who_which_group_what_since_when_next_step_and_link():
    r = routing()
    msg = render(
        [Item(_alert(), "raised", r, "Maria Lopez")], r.coordinator, "https://pulse.example.org/"
    )
    assert msg.subject == "Maria Lopez has missed 3 sessions in a row in Tuesday Circle"
    for part in (
        "Hello Ana",
        "Since: 04 March 2026",
        "Last at a session: 10 February 2026",
        "Suggested next step",
        f"https://pulse.example.org/groups/{r.group_id}",
    ):
        assert part in msg.text
    assert "<li>" in msg.html and "Maria Lopez" in msg.html


def test_a_forgotten_member_is_described_not_named():
    r = routing()
    msg = render([Item(_alert(), "raised", r, None)], r.coordinator, "http://x")
    assert msg.subject.startswith(FORGOTTEN)


def test_a_coordinator_never_sees_members_of_groups_that_are_not_theirs():
    r = routing()
    stranger = recipient("coord-zoe", name="Zoe")
    msg = render([Item(_alert(), "raised", r, "Maria Lopez")], stranger, "http://x")
    assert "Maria" not in msg.text and "Maria" not in msg.html
    assert msg.subject.startswith("a member of this group")


def test_back_on_track_note_is_short_and_says_so():
    r = routing()
    resolved = replace(_alert(), status="resolved")
    msg = render([Item(resolved, "resolved", r, "Maria Lopez")], r.coordinator, "http://x")
    assert msg.subject == "Back on track: Maria Lopez is taking part in Tuesday Circle again"
    assert "Suggested next step" not in msg.text


def test_digest_lists_every_update_in_one_message():
    r = routing()
    items = [Item(_alert(alert_id=f"a-{i}"), "raised", r, "Maria Lopez") for i in range(3)]
    msg = render(items, r.coordinator, "http://x")
    assert msg.subject == "Your peerpulse digest: 3 updates on 1 group"
    assert msg.text.count("Suggested next step") == 3 and len(msg.items) == 3


def test_unknown_program_means_nobody_to_tell_not_a_stuck_router():
    app, *_ = _app_with_program()
    r = AppDirectory(app).routing(str(uuid4()), str(uuid4()))
    assert r.coordinator is None and r.lead is None
    assert AppDirectory(app).routing("not-a-uuid", "x").coordinator is None


def test_an_episode_nobody_was_told_of_is_summarised_with_its_span():
    r = routing()
    alert = _alert(kind="group-at-risk", alert_key="health:g", member_id=None,
                   status="resolved", resolved_at=NOON_ISH + timedelta(days=3))  # fmt: skip
    msg = render(
        [Item(alert, "resolved", r, None, "a-1:resolved:unseen")], r.coordinator, "http://x"
    )
    assert (
        msg.subject == "While you were not told: Tuesday Circle has recovered after a time at risk"
    )
    assert "this lasted from 04 March 2026 to 07 March 2026" in msg.text
    assert "Suggested next step" not in msg.text
