"""The rhythm, start and commitment signals: when they fire, and their words."""

from __future__ import annotations

from datetime import timedelta

from projections.risk.assess import AT_RISK, HEALTHY, assess
from projections.risk.schedule import due_at
from projections.risk.thresholds import DEFAULT_POLICY
from tests.unit.projections.builder import T0, GroupScript, state_of, steady, weekly


def reasons(script: GroupScript, days_after_last: float = 1) -> dict[str, str]:
    s = state_of(script)
    return {r.code: r.text for r in assess(s, s.last_held_at + timedelta(days_after_last)).reasons}


def test_a_group_meeting_every_other_week_is_told_how_many_slots_it_skipped():
    g = steady(n=4)
    for at in weekly(T0 + timedelta(days=28), 3, every=14):
        g.session(at, commitments=3, kept=2)
    assert reasons(g)["sessions_skipped"] == (
        "Met 4 times in the last 6 weekly slots (2 skipped or cancelled)"
    )


def test_rescheduled_sessions_and_one_skip_are_not_skipped_sessions():
    g = GroupScript("jitter")
    for i, at in enumerate(weekly(T0, 8)):
        if i != 5:
            g.session(at + timedelta(days=(-2, 3)[i % 2]), commitments=3, kept=2)
    assert "sessions_skipped" not in reasons(g)


def test_skips_before_a_pause_are_not_counted_after_it():
    g = steady(n=2)
    g.emit("group.paused", T0 + timedelta(days=8), until=T0 + timedelta(days=35), reason="exams")
    for at in weekly(T0 + timedelta(days=35), 4):
        g.session(at, commitments=3, kept=2)
    assert "sessions_skipped" not in reasons(g)


def test_a_young_group_most_members_never_came_to_is_a_weak_start():
    g = GroupScript("young", members=6)
    g.session(T0 + timedelta(days=5), present=2, commitments=1)
    texts = reasons(g)
    assert texts["weak_start"] == "Only 2 of 6 members came to its first session"
    s = state_of(g)
    a = assess(s, s.last_held_at + timedelta(days=9))
    assert a.level == AT_RISK and {r.code for r in a.reasons} == {"weak_start", "cadence_gap"}


def test_weak_start_leaves_established_groups_and_full_rooms_alone():
    assert "weak_start" not in reasons(steady(n=4))
    g = GroupScript("full", members=4)
    g.session(T0 + timedelta(days=5), commitments=2)
    assert "weak_start" not in reasons(g)


def test_commitments_that_stop_for_three_sessions_weigh_more_than_for_two():
    g = steady()
    for at in weekly(T0 + timedelta(days=42), 2):
        g.session(at)
    s = state_of(g)
    two = next(r for r in assess(s, s.last_held_at).reasons if r.code == "no_commitments")
    g.session(T0 + timedelta(days=56))
    s = state_of(g)
    three = next(r for r in assess(s, s.last_held_at).reasons if r.code == "no_commitments")
    assert two.text == "No commitments made in the last 2 sessions" and two.weight == 0.25
    assert three.text == "No commitments made in the last 3 sessions" and three.weight == 0.35
    assert assess(s, s.last_held_at + timedelta(days=9)).level == AT_RISK


def test_members_present_committing_far_less_than_before_is_commitments_falling():
    g = steady(n=4)
    for at in weekly(T0 + timedelta(days=28), 3):
        g.session(at, commitments=1)
    assert reasons(g)["commitments_falling"] == (
        "Members present made 0.2 commitments each over the last 3 sessions, down from 0.6"
    )
    s = state_of(g)
    assert assess(s, s.last_held_at).level == HEALTHY


def test_a_never_met_group_is_due_again_at_its_first_silence_threshold():
    s = state_of(GroupScript("new"))
    due = due_at(s, T0, DEFAULT_POLICY)
    assert due is not None and T0 + timedelta(days=8.75) <= due < T0 + timedelta(days=9)
