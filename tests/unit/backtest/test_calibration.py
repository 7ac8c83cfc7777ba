"""Forecasts from daily samples with hindsight, the Brier score, the reliability table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from projections.backtest.calibration import brier, forecasts, reliability
from projections.backtest.labels import Label
from projections.backtest.replay import Sample

T0 = datetime(2025, 1, 6, tzinfo=UTC)
D, WEEK = timedelta(days=1), timedelta(days=7)


def test_brier_of_a_known_case():
    assert brier([(0.8, 1), (0.2, 0), (0.5, 1)]) == pytest.approx((0.04 + 0.04 + 0.25) / 3)
    assert brier([(1.0, 1), (0.0, 0)]) == 0.0


def test_a_sample_came_true_when_dormancy_fell_within_three_periods():
    dormant = T0 + 60 * D
    label = Label("g", "dormant", dormant, WEEK, "c", T0)
    samples = {"g": [Sample(T0 + d * D, "healthy", d / 100) for d in (30, 38, 40, 59, 60, 61)]}
    pairs = forecasts(samples, {"g": label}, data_end=T0 + 200 * D)
    assert pairs == [(0.30, 0), (0.38, 0), (0.40, 1), (0.59, 1)], "none at or after dormancy"


def test_a_forecast_whose_horizon_runs_past_the_data_is_left_out():
    label = Label("g", "kept_meeting", None, WEEK, "c", T0)
    samples = {"g": [Sample(T0 + 70 * D, "healthy", 0.1), Sample(T0 + 90 * D, "healthy", 0.1)]}
    assert forecasts(samples, {"g": label}, data_end=T0 + 100 * D) == [(0.1, 0)]


def test_reliability_bins_hold_mean_prediction_and_observed_share():
    pairs = [(0.05, 0), (0.15, 0), (0.15, 1), (0.95, 1)]
    bins = reliability(pairs)
    assert [(b.low, b.n) for b in bins] == [(0.0, 1), (0.1, 2), (0.9, 1)]
    assert bins[1].predicted == pytest.approx(0.15) and bins[1].observed == 0.5
