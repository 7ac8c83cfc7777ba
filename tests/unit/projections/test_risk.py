"""assess() on hand-built states: the probability, reasons in plain words ordered by
contribution, dormancy at 3 periods, pauses, ended groups, and the policy file."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import timedelta

import pytest

from projections.risk.assess import DORMANT, HEALTHY, RiskPolicy, assess, is_dormant
from projections.risk.model import weights
from projections.risk.thresholds import DEFAULT_POLICY
from tests.unit.projections.builder import T0, GroupScript, state_of, steady, weekly


def test_steady_group_just_after_a_session_is_healthy_and_unlikely_to_go_dormant():
    s = state_of(steady())
    a = assess(s, s.last_held_at + timedelta(days=2))
    assert a.level == HEALTHY
    assert a.probability < DEFAULT_POLICY.watch_p
    assert all(r.weight < 0.5 for r in a.reasons)


def test_silence_reason_states_days_cadence_periods_and_the_usual_gap():
    s = state_of(steady())
    a = assess(s, s.last_held_at + timedelta(days=19))
    gap = next(r for r in a.reasons if r.code == "silence")
    assert gap.text == (
        "No session for 19 days: weekly cadence, 2.7 periods (usually at most 1.0 between sessions)"
    )
    assert a.reasons[0] == gap  # the silence says most


def test_probability_rises_with_silence_and_dormancy_comes_at_three_periods():
    s = state_of(steady())
    ps = [assess(s, s.last_held_at + timedelta(days=d)).probability for d in (3, 9, 12, 15, 18)]
    assert ps == sorted(ps) and ps[0] < ps[-1]
    assert is_dormant(s, s.last_held_at + timedelta(days=21))
    assert not is_dormant(s, s.last_held_at + timedelta(days=20, hours=23))
    assert assess(s, s.last_held_at + timedelta(days=21)).level == DORMANT


def test_reasons_are_ordered_by_contribution_and_add_up_to_the_probability():
    g = steady()
    g.lapse(T0 + timedelta(days=36), g.members[0])
    for at in weekly(T0 + timedelta(days=42), 2):
        g.session(at, present=3)  # no commitments, thinner
    s = state_of(g)
    policy = replace(DEFAULT_POLICY, min_reason=0.0)
    a = assess(s, s.last_held_at + timedelta(days=10), policy)
    contributions = [r.weight for r in a.reasons]
    assert contributions == sorted(contributions, reverse=True) and len(a.reasons) >= 3
    logit = weights(policy)["intercept"] + sum(contributions)
    assert a.probability == pytest.approx(1 / (1 + math.exp(-logit)), abs=0.01)
    assert a.score == round(a.probability, 2)
    texts = {r.code: r.text for r in a.reasons}
    assert texts["facilitator_gone"] == "The facilitator has lapsed"
    assert texts["members_lapsed"] == "1 of 5 members has lapsed"
    assert texts["commitments_falling"] == "No commitments made in the last 2 sessions"
    assert all(set(r.to_dict()) == {"code", "text", "weight"} for r in a.reasons)


def test_paused_group_is_never_flagged_and_says_until_when():
    g = steady()
    g.emit("group.paused", T0 + timedelta(days=36), until=T0 + timedelta(days=80), reason="exams")
    s = state_of(g)
    a = assess(s, T0 + timedelta(days=79))
    assert a.level == HEALTHY and a.probability == 0.0
    assert [r.text for r in a.reasons] == ["Paused until 2025-03-27 (exams)"]
    assert not is_dormant(s, T0 + timedelta(days=79))


def test_silence_after_a_pause_counts_from_the_end_of_the_pause():
    g = steady()
    until = T0 + timedelta(days=80)
    g.emit("group.paused", T0 + timedelta(days=36), until=until, reason="holidays")
    s = state_of(g)
    assert not is_dormant(s, until + timedelta(days=20))
    gap = next(r for r in assess(s, until + timedelta(days=10)).reasons if r.code == "silence")
    assert gap.text.startswith("No session for 10 days: weekly cadence, 1.4 periods")


def test_a_group_that_never_met_is_told_how_long_since_forming():
    s = state_of(GroupScript("new"))
    early, late = assess(s, T0 + timedelta(days=6)), assess(s, T0 + timedelta(days=16))
    assert early.reasons == () and early.level == HEALTHY
    assert late.probability > early.probability
    assert (
        late.reasons[0].text == "No session since forming 16 days ago: weekly cadence, 2.3 periods"
    )


def test_ended_group_is_never_flagged():
    g = steady()
    g.emit("group.concluded", T0 + timedelta(days=40), reason="programme finished")
    s = state_of(g)
    assert assess(s, T0 + timedelta(days=200)).level == HEALTHY
    assert not is_dormant(s, T0 + timedelta(days=200))


def test_the_same_state_and_time_always_give_the_same_assessment():
    s = state_of(steady())
    at = s.last_held_at + timedelta(days=12)
    assert assess(s, at) == assess(s, at) == assess(state_of(steady()), at)


def test_a_policy_file_round_trips_and_an_unknown_setting_is_named(tmp_path):
    path = tmp_path / "policy.json"
    policy = replace(DEFAULT_POLICY, at_risk_p=0.42, coefficients=(("intercept", -2.0),))
    policy.to_file(path)
    assert RiskPolicy.from_file(path) == policy
    doc = json.loads(path.read_text())
    doc["at_risk_threshold"] = 0.5
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="at_risk_threshold"):
        RiskPolicy.from_file(path)
