"""Each fate family produces the shape it promises (docs/decisions/0011-simulator-fates.md)."""

from __future__ import annotations

from datetime import timedelta
from statistics import mean

from infra.simulator import HELDOUT_FAMILY
from infra.simulator.fates.heldout import NO_HOST
from infra.simulator.plan import DORMANT_AFTER_PERIODS
from tests.unit.simulator.views import of_fate

JITTER = timedelta(days=2, minutes=30)
"""A session moves by at most two days (and half an hour) around its cadence."""
MOVED = timedelta(days=3)
"""A session cancelled with a new date is held up to three days later."""


def _thirds(values: list[float]) -> tuple[float, float]:
    third = max(1, len(values) // 3)
    return mean(values[:third]), mean(values[-third:])


def _attendance(view) -> list[float]:
    return [len(view.present[s]) for s in view.sessions() if view.present[s]]


def _gaps(times):
    return list(zip(times, times[1:], strict=False))


def test_steady_group_meets_at_its_cadence_within_two_days(programs):
    for sim, views in programs:
        holiday = sim.holiday
        for truth in (t for t in sim.truth if t.fate == "steady"):
            times = sorted(views[truth.group].held.values())
            period = timedelta(days=truth.period_days)
            expected = (sim.end - times[0]) / period
            assert len(times) >= 0.6 * expected, truth.group
            for a, b in _gaps(times):
                spans_holiday = holiday and a < holiday[1] and b > holiday[0] - timedelta(hours=12)
                allowed = 3 * period + (holiday[1] - holiday[0] if spans_holiday else 0 * period)
                assert b - a <= allowed + 2 * JITTER + MOVED, (truth.group, a, b)
            assert not truth.dies and truth.dormant_at is None and not truth.censored


def test_most_steady_sessions_fall_within_two_days_of_the_cadence(programs):
    """Jitter is ±2 days: a week apart, give or take, not three days early or five late."""
    offsets = []
    for sim, views in programs:
        for truth in (t for t in sim.truth if t.fate == "steady" and t.cadence == "weekly"):
            on_time = {int(sid.rsplit("-s", 1)[1]): at for sid, at in
                       views[truth.group].held.items() if "moved" not in sid}  # fmt: skip
            k0 = min(on_time)
            week = timedelta(days=7)
            offsets += [at - on_time[k0] - (k - k0) * week for k, at in on_time.items()]
    assert offsets and all(abs(o) <= 2 * JITTER for o in offsets)
    assert sum(abs(o) < timedelta(days=1) for o in offsets) > 0.4 * len(offsets)
    assert any(abs(o) > timedelta(days=1, hours=12) for o in offsets), "some jitter"


def test_slow_fade_attendance_declines(programs):
    fades = [_attendance(v) for t, v in of_fate(programs, "slow_fade") if len(v.held) >= 3]
    declining = [first > last for first, last in map(_thirds, fades)]
    assert sum(declining) >= 0.8 * len(declining)


def test_sudden_stop_is_healthy_until_its_last_session(programs):
    groups = [(t, v) for t, v in of_fate(programs, "sudden_stop") if t.dies and len(v.held) >= 4]
    assert groups
    kept_up = 0
    for truth, view in groups:
        first, last = _thirds(_attendance(view))
        kept_up += last >= 0.75 * first
        assert truth.decline_at > truth.last_session_at, "the first missing session is the decline"
    assert kept_up >= 0.8 * len(groups), "no fade before the stop"


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
            assert truth.censored == (truth.dormant_at > s.end)


def test_core_shrinks_before_it_stops(programs):
    groups = [(t, v) for t, v in of_fate(programs, "core_shrinking") if t.dies and len(v.held) > 1]
    assert groups
    shrunk = 0
    for truth, view in groups:
        present = [len(view.present[s]) for s in view.sessions()]
        assert truth.members >= 3 and present[-1] < truth.members, truth.group
        shrunk += present[-1] <= 2
    assert shrunk >= 0.8 * len(groups), "most reach two before the holiday or the end"


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
            assert not truth.dies and truth.decline_at is not None
            assert max(v[truth.group].held.values()) >= s.end - 2 * period - JITTER - MOVED


def test_host_leaves_groups_lose_their_facilitator_cancel_without_a_new_date_and_die(programs):
    groups = of_fate(programs, HELDOUT_FAMILY)
    assert len(groups) >= 12
    for truth, view in groups:
        assert truth.dies or truth.censored, truth.group
        facilitator = f"{truth.group}-m0"
        after = [s for s in view.sessions() if view.held[s] >= truth.decline_at]
        assert all(facilitator not in view.present[s] for s in after), truth.group
        late = [r for at, r in view.cancelled.values() if at >= truth.decline_at - 2 * JITTER]
        assert all(r == NO_HOST or r.startswith("moved to") for r in late), truth.group
    no_host = [sum(r == NO_HOST for _, r in v.cancelled.values()) for _, v in groups]
    assert mean(no_host) >= 1.5, "cancellations without a new date multiply"
    after_last = [t for t, v in groups if t.last_session_at
                  and any(at > t.last_session_at for at, _ in v.cancelled.values())]  # fmt: skip
    assert after_last, "the calendar keeps cancelling after the last session: talk is not life"


def test_cadences_vary_and_every_fate_appears(programs):
    truths = [t for s, _ in programs for t in s.truth]
    assert {t.cadence for t in truths} == {"weekly", "fortnightly", "monthly"}
    assert {t.fate for t in truths} == {
        "steady", "slow_fade", "sudden_stop", "core_shrinking", "commitments_drying",
        "planned_pause", "dip_and_recovery", "never_got_going", HELDOUT_FAMILY,
    }  # fmt: skip
    assert {t.members for t in truths} == {3, 4, 5, 6}
