"""The projector over whole event histories: flags, alert intents, redelivery, determinism."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from projections.engine import Outputs, Projector
from projections.fold.envelope import Envelope
from projections.risk.assess import assess
from projections.risk.thresholds import DEFAULT_POLICY, RiskPolicy
from tests.unit.projections.builder import (
    T0,
    Clock,
    GroupScript,
    envelopes,
    merge,
    state_of,
    ticks,
    weekly,
)


def levels_over_time(
    events: list[Envelope], policy: RiskPolicy = DEFAULT_POLICY
) -> list[tuple[str, str]]:
    """(time, level) at every level transition."""
    p, out = Projector(policy), Outputs()
    p.run(events, out)
    return [(r.values["at"], r.values["level"]) for r in out.rows if r.table == "level_history"]


def alert_kinds(out: Outputs) -> list[str]:
    return [a["type"].split(".")[2] for a in out.alerts]


def steady_group(name: str = "steady", n: int = 20, seed: int = 1) -> GroupScript:
    rng = random.Random(seed)
    g = GroupScript(name)
    for at in weekly(T0, n):
        present = [m for m in g.members if rng.random() < 0.85] or g.members[:1]
        g.session(
            at + timedelta(hours=rng.randint(-20, 20)),
            present=present,
            commitments=len(present),
            kept=rng.randint(1, len(present)),
        )
    return g


def test_steady_groups_are_never_flagged():
    for seed in range(20):
        g = steady_group(f"s{seed}", seed=seed)
        evs = merge(g.events, ticks(Clock(), T0, T0 + timedelta(days=140)))
        assert {lvl for _, lvl in levels_over_time(envelopes(evs))} <= {"healthy", "watch"}


def test_slow_fade_reaches_at_risk_before_its_last_session():
    g = GroupScript("fade")
    for at in weekly(T0, 6):
        g.session(at, commitments=4, kept=3)
    fade = weekly(T0 + timedelta(days=42), 5, every=9)
    for at, here in zip(fade, (4, 3, 2, 2, 1), strict=True):
        g.session(at, present=here, commitments=1 if here > 2 else 0)
    evs = merge(g.events, ticks(Clock(), T0, fade[-1] + timedelta(days=40)))
    flagged = [t for t, lvl in levels_over_time(envelopes(evs)) if lvl == "at_risk"]
    assert flagged and flagged[0] < fade[-1].isoformat()


def flagging(g: GroupScript, at: datetime) -> RiskPolicy:
    """A policy whose at_risk threshold the group's silence has passed by ``at`` (the
    fitted thresholds move with every refit; these tests are about what follows)."""
    p = assess(state_of(g), at).probability
    return replace(DEFAULT_POLICY, at_risk_p=p * 0.8, watch_p=p * 0.8, recover_p=p * 0.7)


def test_sudden_stop_goes_watch_then_at_risk_then_dormant_as_ticks_advance():
    g = GroupScript("stop")
    for at in weekly(T0, 8):
        g.session(at, commitments=3, kept=2)
    evs = merge(g.events, ticks(Clock(), T0, T0 + timedelta(days=49 + 40)))
    policy = flagging(g, T0 + timedelta(days=49 + 19))  # silence alone: see decision 0017
    policy = replace(policy, watch_p=policy.at_risk_p / 2)
    out = Projector(policy).run(envelopes(evs))
    history = [lvl for _, lvl in levels_over_time(envelopes(evs), policy)]
    assert history == ["healthy", "watch", "at_risk", "dormant"]
    assert alert_kinds(out) == ["group-at-risk", "group-dormant"]
    dormant = out.alerts[-1]
    assert dormant["data"]["previous_level"] == "at_risk"
    assert dormant["data"]["reasons"][0]["text"].startswith("No session for 21 days")


def test_a_group_that_meets_again_emits_a_recovered_intent_resolving_the_alert():
    g = GroupScript("back")
    for at in weekly(T0, 6):
        g.session(at, commitments=3, kept=2)
    back = T0 + timedelta(days=35 + 20)
    policy = flagging(g, back - timedelta(days=1))
    g.session(back, commitments=3)
    evs = merge(g.events, ticks(Clock(), T0, back + timedelta(days=3)))
    out = Projector(policy).run(envelopes(evs))
    assert alert_kinds(out) == ["group-at-risk", "group-recovered"]
    at_risk, recovered = out.alerts
    assert at_risk["data"]["alert_key"] == recovered["data"]["alert_key"] == f"health:{g.group_id}"
    assert at_risk["data"]["probability"] >= policy.at_risk_p
    held = next(e for e in reversed(g.events) if e["type"] == "peerpulse.session.held.v1")
    assert recovered["id"] == f"{g.group_id}:group-recovered:-:{g.version}"
    withdrawn = datetime.fromisoformat(recovered["time"]) - datetime.fromisoformat(held["time"])
    assert timedelta(hours=policy.withdraw_after_hours) <= withdrawn <= timedelta(hours=30)


def test_every_lapse_and_reengagement_becomes_an_intent():
    g = GroupScript("lapse")
    g.session(T0)
    g.lapse(T0 + timedelta(days=1), g.members[2], misses=3)
    g.emit("member.reengaged", T0 + timedelta(days=8), member_id=g.members[2], session_id="s")
    out = Projector().run(envelopes(g.events))
    assert alert_kinds(out) == ["member-lapsed", "member-reengaged"]
    assert out.alerts[0]["data"]["misses"] == 3
    assert out.alerts[0]["data"]["alert_key"] == f"lapse:{g.group_id}:{g.members[2]}"


def test_redelivered_events_are_ignored():
    g = steady_group(n=6)
    evs = merge(g.events, ticks(Clock(), T0, T0 + timedelta(days=60)))
    once = Projector().run(envelopes(evs))
    twice_p = Projector()
    twice = twice_p.run(envelopes(evs + evs[len(evs) // 2 :] + evs))
    assert twice.alerts == once.alerts and twice.health == once.health
    assert [r for r in twice.rows] == [r for r in once.rows]


def fleet_events() -> list[dict]:
    groups = [steady_group(f"f{i}", n=10, seed=i) for i in range(3)]
    stop = GroupScript("f-stop")
    for at in weekly(T0, 3):
        stop.session(at, commitments=2, kept=1)
    return merge(
        *(g.events for g in groups), stop.events, ticks(Clock(), T0, T0 + timedelta(days=100))
    )


def _final(chunks: list[list[Envelope]]) -> tuple:
    p = Projector()
    outs = [p.run(chunk) for chunk in chunks]
    rows = [r for o in outs for r in o.rows]
    return rows, [a for o in outs for a in o.alerts], [h for o in outs for h in o.health]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=200), min_size=1, max_size=30))
def test_same_events_in_any_chunking_give_identical_outputs(cuts):
    evs = envelopes(fleet_events())
    bounds = sorted({0, len(evs), *(c % len(evs) for c in cuts)})
    chunks = [evs[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    assert _final(chunks) == _final([evs])


def test_a_silence_between_sessions_is_flagged_at_its_grid_time_even_when_ticks_come_later():
    g = GroupScript("gap")
    for at in weekly(T0, 4):
        g.session(at, commitments=3, kept=2)
    back = T0 + timedelta(days=21 + 20)
    policy = flagging(g, back - timedelta(days=1))
    g.session(back, commitments=3, kept=2)
    clock = ticks(Clock(), T0, T0 + timedelta(days=50))
    slow, fast = (
        levels_over_time(envelopes(merge(g.events, clock)), policy),
        levels_over_time(envelopes(g.events + clock), policy),
    )
    assert slow == fast
    raised = [at for at, lvl in fast if lvl == "at_risk"]
    assert raised and raised[0] < back.isoformat()
    assert [lvl for at, lvl in fast if at > raised[0]] in (
        ["healthy"],
        ["watch"],
        ["watch", "healthy"],
    )
