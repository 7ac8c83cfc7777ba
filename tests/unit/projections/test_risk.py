"""assess() on hand-built states: evidence in plain words, pauses, new groups, recovery."""

from __future__ import annotations

from datetime import timedelta

from projections.risk.assess import AT_RISK, DORMANT, HEALTHY, WATCH, RiskPolicy, assess, is_dormant
from tests.unit.projections.builder import T0, GroupScript, state_of, steady, weekly


def test_steady_group_just_after_a_session_is_healthy_with_no_reasons():
    s = state_of(steady())
    a = assess(s, s.last_held_at + timedelta(days=2))
    assert (a.level, a.score, a.reasons) == (HEALTHY, 0.0, ())


def test_cadence_gap_reason_states_days_cadence_and_periods():
    s = state_of(steady())
    a = assess(s, s.last_held_at + timedelta(days=19))
    gap = next(r for r in a.reasons if r.code == "cadence_gap")
    assert gap.text == "No session for 19 days: weekly cadence, 2.7 periods"
    assert a.level == AT_RISK


def test_silence_alone_goes_watch_then_at_risk_then_dormant_at_four_periods():
    s = state_of(steady())
    levels = [assess(s, s.last_held_at + timedelta(days=d)).level for d in (5, 10, 15, 18, 27, 28)]
    assert levels == [HEALTHY, WATCH, WATCH, AT_RISK, AT_RISK, DORMANT]
    assert is_dormant(s, s.last_held_at + timedelta(days=28))
    assert not is_dormant(s, s.last_held_at + timedelta(days=27, hours=23))


def test_silence_past_one_and_a_half_periods_with_a_leading_signal_is_at_risk():
    g = steady()
    for at in weekly(T0 + timedelta(days=42), 2):
        g.session(at)  # two sessions without commitments: "no_commitments" (0.25)
    s = state_of(g)
    before = assess(s, s.last_held_at + timedelta(days=10))  # 1.4 periods
    assert (before.level, before.score) == (WATCH, 0.55)
    a = assess(s, s.last_held_at + timedelta(days=11))  # 1.6 periods
    assert (a.level, a.score) == (AT_RISK, 0.6)
    assert [r.text for r in a.reasons] == [
        "No session for 11 days: weekly cadence, 1.6 periods",
        "No commitments made in the last 2 sessions",
    ]
    quiet = state_of(steady())
    alone = assess(quiet, quiet.last_held_at + timedelta(days=11))
    assert (alone.level, alone.score) == (WATCH, 0.35)


def test_paused_group_is_never_flagged_and_says_until_when():
    g = steady()
    g.emit("group.paused", T0 + timedelta(days=36), until=T0 + timedelta(days=80), reason="exams")
    s = state_of(g)
    a = assess(s, T0 + timedelta(days=79))
    assert a.level == HEALTHY and a.score == 0.0
    assert [r.text for r in a.reasons] == ["Paused until 2025-03-27 (exams)"]
    assert not is_dormant(s, T0 + timedelta(days=79))


def test_silence_after_a_pause_counts_from_the_end_of_the_pause():
    g = steady()
    until = T0 + timedelta(days=80)
    g.emit("group.paused", T0 + timedelta(days=36), until=until, reason="holidays")
    s = state_of(g)
    assert assess(s, until + timedelta(days=5)).level == HEALTHY
    gap = assess(s, until + timedelta(days=10)).reasons[0]
    assert gap.text == "No session for 10 days since the pause: weekly cadence, 1.4 periods"


def test_newly_formed_group_gets_grace_then_is_at_risk_after_two_periods_without_meeting():
    s = state_of(GroupScript("new"))
    assert assess(s, T0 + timedelta(days=6)).level == HEALTHY
    assert assess(s, T0 + timedelta(days=10)).level == WATCH
    a = assess(s, T0 + timedelta(days=16))
    assert a.level == AT_RISK
    assert a.reasons[0].text == "No session since forming 16 days ago: weekly cadence, 2.3 periods"


def test_small_core_names_how_many_of_the_roster_still_come():
    g = steady(members=5)
    for at in weekly(T0 + timedelta(days=42), 3):
        g.session(at, present=2, commitments=2, kept=1)
    s = state_of(g)
    a = assess(s, s.last_held_at + timedelta(days=1))
    texts = {r.code: r.text for r in a.reasons}
    assert texts["small_core"] == "Only 2 of 5 members attended any of the last 3 sessions"
    assert texts["attendance_falling"].startswith("Attendance fell to 2.0 per session")


def test_no_commitments_reason_only_for_groups_that_used_to_commit():
    g = steady()
    for at in weekly(T0 + timedelta(days=42), 2):
        g.session(at)
    s = state_of(g)
    a = assess(s, s.last_held_at + timedelta(days=1))
    assert "No commitments made in the last 2 sessions" in [r.text for r in a.reasons]
    never = GroupScript("never-commits")
    for at in weekly(T0, 6):
        never.session(at)
    s2 = state_of(never)
    assert assess(s2, s2.last_held_at + timedelta(days=1)).reasons == ()


def test_recovering_group_stays_at_risk_until_score_falls_below_recover_threshold():
    s = state_of(steady())
    now = s.last_held_at + timedelta(days=6)
    s.level = AT_RISK
    assert assess(s, now, RiskPolicy(recover_below=0.0)).level == AT_RISK
    assert assess(s, now).level == HEALTHY


def test_ended_group_is_never_flagged():
    g = steady()
    g.emit("group.concluded", T0 + timedelta(days=40), reason="programme finished")
    s = state_of(g)
    assert assess(s, T0 + timedelta(days=200)).level == HEALTHY
    assert not is_dormant(s, T0 + timedelta(days=200))


def test_facilitator_lapse_and_lapsed_share_are_reasons():
    g = steady()
    g.lapse(T0 + timedelta(days=36), g.members[0])
    g.lapse(T0 + timedelta(days=36), g.members[1])
    s = state_of(g)
    codes = {r.code: r.text for r in assess(s, s.last_held_at + timedelta(days=1)).reasons}
    assert codes["facilitator_lapsed"] == "The facilitator has lapsed"
    assert codes["members_lapsed"] == "2 of 5 members have lapsed"
