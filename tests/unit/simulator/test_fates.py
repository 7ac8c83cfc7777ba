"""Each fate produces the shape it promises (docs/decisions/0011-simulator-fates.md)."""

from __future__ import annotations

from datetime import timedelta
from statistics import mean

from infra.simulator.plan import DORMANT_AFTER_PERIODS
from tests.unit.simulator.views import of_fate

SLACK = timedelta(days=3, hours=1)
"""Reschedules move a session by up to three days."""


def _thirds(values: list[float]) -> tuple[float, float]:
    third = max(1, len(values) // 3)
    return mean(values[:third]), mean(values[-third:])


def _attendance(view) -> list[float]:
    return [len(view.present[s]) for s in view.sessions() if view.present[s]]


def test_steady_group_meets_at_its_cadence(programs):
    for sim, views in programs:
        for truth in (t for t in sim.truth if t.fate == "steady"):
            times = sorted(views[truth.group].held.values())
            period = timedelta(days=truth.period_days)
            expected = (sim.end - times[0]) / period
            assert len(times) >= 0.7 * expected, truth.group
            gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
            assert max(gaps, default=period) <= 3 * period + 2 * SLACK, truth.group
            assert not truth.dies and truth.dormant_at is None


def test_slow_fade_attendance_declines(programs):
    fades = [_attendance(v) for t, v in of_fate(programs, "slow_fade") if len(v.held) >= 3]
    declining = [first > last for first, last in map(_thirds, fades)]
    assert sum(declining) >= 0.8 * len(declining)


def test_pause_group_holds_no_session_during_its_pause(programs):
    groups = of_fate(programs, "planned_pause")
    assert groups
    for truth, view in groups:
        assert len(truth.pauses) == 1 and not truth.dies
        start, until = truth.pauses[0]
        assert all(not (start <= at <= until) for at in view.held.values()), truth.group
        assert any(at > until for at in view.held.values()), "it resumes"


def test_dying_groups_hold_nothing_after_their_last_session(programs):
    for s, v in programs:
        for truth in (t for t in s.truth if t.dies):
            held = sorted(v[truth.group].held.values())
            period = timedelta(days=truth.period_days)
            if held:
                assert held[-1] == truth.last_session_at + timedelta(minutes=75)
            anchor = truth.last_session_at or truth.formed_at
            assert truth.dormant_at == anchor + DORMANT_AFTER_PERIODS * period


def test_core_shrinks_below_three_before_it_stops(programs):
    for truth, view in of_fate(programs, "core_shrinking"):
        if not truth.dies:
            continue
        present = [view.present[s] for s in view.sessions()]
        assert truth.members >= 3 and len(present[-1]) <= 2, truth.group


def test_commitments_dry_up_before_attendance_does(programs):
    groups = [(t, v) for t, v in of_fate(programs, "commitments_drying") if len(v.held) >= 4]
    assert groups
    dried = 0
    for _, view in groups:
        sessions = view.sessions()
        commits = [view.commitments[s] / max(1, len(view.present[s])) for s in sessions]
        first, last = _thirds(commits)
        dried += last < 0.5 * first and commits[-1] == 0
    assert dried >= 0.8 * len(groups)


def test_never_got_going_meets_at_most_twice(programs):
    groups = of_fate(programs, "never_got_going")
    assert groups and all(len(v.held) <= 2 and t.dies for t, v in groups)


def test_dip_and_recovery_is_meeting_again_at_the_end(programs):
    for s, v in programs:
        for truth in (t for t in s.truth if t.fate == "dip_and_recovery"):
            period = timedelta(days=truth.period_days)
            assert max(v[truth.group].held.values()) >= s.end - 2 * period - SLACK


def test_cadences_vary_and_every_fate_appears(programs):
    truths = [t for s, _ in programs for t in s.truth]
    assert {t.cadence for t in truths} == {"weekly", "fortnightly", "monthly"}
    assert {t.fate for t in truths} >= {"steady", "slow_fade", "sudden_stop", "core_shrinking",
                                        "commitments_drying", "planned_pause",
                                        "dip_and_recovery", "never_got_going"}  # fmt: skip
