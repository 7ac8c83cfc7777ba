"""Scoring level histories against hindsight labels: standing flags, lead, false positives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from projections.backtest.alerts import alerts
from projections.backtest.labels import Label
from projections.backtest.metrics import first_standing_flag, outcomes, raised_flags

T0 = datetime(2025, 1, 6, tzinfo=UTC)
D, H = timedelta(days=1), timedelta(hours=1)
WEEK, FORTNIGHT = timedelta(days=7), timedelta(days=14)
START, END = T0, T0 + 200 * D


def _label(kind: str, at: datetime | None = None, period: timedelta = WEEK, group: str = "g"):
    return Label(group, kind, at, period, coordinator="c1", first_seen=T0)


def _one(history, label):
    [outcome] = outcomes({"g": history}, {"g": label}, START, END)
    return outcome


def test_a_flag_withdrawn_after_ten_hours_does_not_count_as_standing():
    dormant = T0 + 100 * D
    flash = [(T0 + 80 * D, "at_risk"), (T0 + 80 * D + 10 * H, "watch")]
    o = _one(flash, _label("dormant", dormant))
    assert o.flagged, "the flash was an alert all the same"
    assert not o.caught and o.lead is None


def test_a_flag_that_stood_a_day_counts_even_if_withdrawn_later():
    dormant = T0 + 100 * D
    history = [(T0 + 79 * D, "at_risk"), (T0 + 82 * D, "watch"), (T0 + 93 * D, "at_risk")]
    assert _one(history, _label("dormant", dormant)).lead == 3.0


def test_a_flag_raised_less_than_a_day_before_dormancy_stands_if_still_up():
    dormant = T0 + 100 * D
    assert first_standing_flag([(dormant - 5 * H, "at_risk")], None, dormant) == dormant - 5 * H


def test_lead_is_counted_in_the_groups_own_cadence_periods():
    dormant = T0 + 120 * D
    history = [(dormant - 21 * D, "at_risk")]
    assert _one(history, _label("dormant", dormant, FORTNIGHT)).lead == 1.5


def test_a_flag_from_before_the_group_was_last_healthy_does_not_count():
    dormant = T0 + 100 * D
    history = [(T0 + 20 * D, "at_risk"), (T0 + 30 * D, "healthy"), (dormant, "dormant")]
    o = _one(history, _label("dormant", dormant))
    assert not o.caught, "going straight to dormant warns nobody in time"


def test_any_flag_on_a_group_that_kept_meeting_is_a_false_positive_inside_the_range():
    kept = _label("kept_meeting")
    assert _one([(T0 + 5 * D, "at_risk"), (T0 + 5 * D + H, "healthy")], kept).flagged
    assert not _one([(END + D, "at_risk")], kept).flagged, "after the range"
    assert _one([(T0 + 5 * D, "watch")], kept).watched
    assert not _one([(T0 + 5 * D, "watch")], kept).flagged


def test_dissolved_and_censored_groups_and_dormancy_outside_the_range_count_for_neither():
    labels = {
        "a": _label("dissolved", T0 + 50 * D, group="a"),
        "b": _label("censored", group="b"),
        "c": _label("dormant", END + 10 * D, group="c"),
    }
    assert outcomes({}, labels, START, END) == []


def test_every_raised_flag_is_one_alert_in_its_week():
    history = [(T0 + D, "at_risk"), (T0 + 2 * D, "healthy"), (T0 + 9 * D, "at_risk"),
               (T0 + 10 * D, "dormant")]  # fmt: skip
    assert raised_flags(history) == [(T0 + D, T0 + 2 * D), (T0 + 9 * D, None)]
    labels = {"g": _label("kept_meeting"), "h": Label("h", "kept_meeting", None, WEEK, "c2", T0)}
    found = alerts({"g": history}, labels, T0, T0 + 28 * D)
    assert found.raised == 2 and sorted(found.weekly.values()) == [1, 1]
    assert found.per_coordinator_week == 2 / (2 * 4)


def test_false_positives_are_told_apart_for_groups_that_came_back_from_dormancy():
    from dataclasses import replace

    from projections.backtest.evaluation import Evaluation, Summary

    flagged = [(T0 + 30 * D, "at_risk"), (T0 + 40 * D, "healthy")]
    labels = {
        "back": replace(_label("kept_meeting", group="back"), quiet=3.5),  # dormant a while
        "dip": replace(_label("kept_meeting", group="dip"), quiet=2.9),
        "fine": replace(_label("kept_meeting", group="fine"), quiet=1.1),
    }
    history = {"back": flagged, "dip": flagged, "fine": []}
    s = Summary.of(Evaluation(outcomes(history, labels, START, END)))
    assert s.false_positive_rate == 2 / 3
    assert (s.came_back, s.came_back_flagged, s.others_flagged) == (1, 1.0, 0.5)
