"""The model's features: when they fire, their words, the group's own rhythm, and when a
group must be judged again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from projections.risk.assess import AT_RISK, HEALTHY, Assessment, assess
from projections.risk.levels import Marks
from projections.risk.rhythm import NO_SHOW_AFTER, usual_gap
from projections.risk.schedule import due_at, grid_at_or_after
from projections.risk.thresholds import DEFAULT_POLICY
from tests.unit.projections.builder import T0, GroupScript, state_of, steady, weekly


def texts(script: GroupScript, days_after_last: float = 1) -> dict[str, str]:
    s = state_of(script)
    found = assess(s, s.last_held_at + timedelta(days_after_last)).reasons
    return {r.code: r.text for r in found}


def test_the_usual_gap_is_the_groups_own_rhythm():
    assert usual_gap(state_of(steady(n=8)), DEFAULT_POLICY) == pytest.approx(1.0)
    g = GroupScript("skipper")
    for week in range(18):
        if week % 3 != 2:
            g.session(T0 + timedelta(weeks=week), commitments=3, kept=2)
    assert usual_gap(state_of(g), DEFAULT_POLICY) == pytest.approx(2.0)


def test_a_fading_rhythm_does_not_become_the_baseline():
    g = steady(n=8)
    for at in weekly(T0 + timedelta(weeks=9), 3, every=21):
        g.session(at, commitments=3, kept=2)
    assert usual_gap(state_of(g), DEFAULT_POLICY) < 1.5


def test_a_young_group_most_members_never_came_to_is_a_weak_start():
    g = GroupScript("young", members=6)
    g.session(T0 + timedelta(days=5), present=2, commitments=1)
    assert texts(g)["weak_start"] == "Only 2 of 6 members came to its first session"
    assert "weak_start" not in texts(steady(n=4))


def test_commitments_that_stop_are_counted_and_weigh_more_the_longer_they_stop():
    g = steady()
    weights = []
    for n, at in enumerate(weekly(T0 + timedelta(days=42), 3), 1):
        g.session(at)
        s = state_of(g)
        reason = next(
            r for r in assess(s, s.last_held_at).reasons if r.code == "commitments_falling"
        )
        noun = "session" if n == 1 else f"{n} sessions"
        assert reason.text == f"No commitments made in the last {noun}"
        weights.append(reason.weight)
    assert weights == sorted(weights) and weights[0] < weights[-1]


def test_groups_that_never_make_commitments_are_not_judged_on_them():
    never = GroupScript("never-commits")
    for at in weekly(T0, 6):
        never.session(at)
    assert "commitments_falling" not in texts(never)


def test_attendance_is_judged_against_the_groups_own_earlier_sessions():
    g = steady(n=4)
    for at in weekly(T0 + timedelta(days=28), 3):
        g.session(at, present=2, commitments=2, kept=1)
    assert texts(g)["attendance_falling"] == (
        "Attendance fell to 2.0 per session over the last 3 sessions, from 5.0 before"
    )
    small = GroupScript("three", members=3)
    for at in weekly(T0, 7):
        small.session(at, commitments=2, kept=1)
    assert "attendance_falling" not in texts(small)


def test_a_cancellation_without_a_new_date_is_a_reason_and_with_one_the_date_is_shown():
    g = steady()
    g.cancel(T0 + timedelta(days=41))
    no_date = texts(g, 8)
    assert (
        no_date["cancelled_no_date"] == "1 of the last 4 sessions was cancelled, with no new date"
    )
    g.emit("session.scheduled", T0 + timedelta(days=41, hours=1), session_id="again",
           scheduled_for=T0 + timedelta(days=45))  # fmt: skip
    found = texts(g, 8)
    assert "cancelled_no_date" not in found
    assert found["on_calendar"] == "Next session on the calendar: 20 Feb"


def test_scheduled_sessions_neither_held_nor_cancelled_are_no_shows():
    g = steady()
    g.emit("session.scheduled", T0 + timedelta(days=38), session_id="ghost",
           scheduled_for=T0 + timedelta(days=42))  # fmt: skip
    s = state_of(g)
    due = T0 + timedelta(days=42) + NO_SHOW_AFTER  # a roll call may still be on its way
    before = {r.code for r in assess(s, due - timedelta(hours=12)).reasons}
    after = {r.code: r.text for r in assess(s, due + timedelta(hours=1)).reasons}
    assert "no_shows" not in before
    assert after["no_shows"] == "1 scheduled session since the last one neither held nor cancelled"


def test_a_group_within_its_usual_gap_is_not_judged_again_until_the_gap_has_passed():
    s = state_of(steady())
    now = s.last_held_at + timedelta(days=2)
    a = assess(s, now)
    due = due_at(s, now, DEFAULT_POLICY, a)
    assert due == grid_at_or_after(s.last_held_at + timedelta(days=7) - timedelta(seconds=1))


def test_a_level_change_waiting_on_persistence_is_due_when_it_may_stand():
    s = state_of(steady())
    now = s.last_held_at + timedelta(days=1)
    waiting = Assessment(HEALTHY, 0.9, probability=0.9, marks=Marks(high=now, watch=now))
    due = due_at(s, now, DEFAULT_POLICY, waiting)
    assert due == grid_at_or_after(now + timedelta(hours=DEFAULT_POLICY.raise_after_hours))
    standing = Assessment(AT_RISK, 0.1, probability=0.1, marks=Marks(low=now))
    due = due_at(s, now, DEFAULT_POLICY, standing)
    assert due == grid_at_or_after(now + timedelta(hours=DEFAULT_POLICY.withdraw_after_hours))


def test_a_never_met_group_is_due_again_one_period_after_forming():
    s = state_of(GroupScript("new"))
    due = due_at(s, T0, DEFAULT_POLICY)
    assert due is not None and T0 + timedelta(days=6.75) <= due <= T0 + timedelta(days=7)
