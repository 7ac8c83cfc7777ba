"""The fitted defaults of the risk model, written by ``benchmarks/fit_risk.py`` (decision
0017). Coefficients are log-odds weights of the features in :mod:`projections.risk.model`;
the thresholds are on the probability of dormancy within the next 3 cadence periods."""

FITTED_ON = "simulator TUNING_SEEDS 1-20 (held-out family left out)"
COEFFICIENTS: tuple[tuple[str, float], ...] = (
    ("intercept", -2.886),
    ("silence", 1.008),
    ("never_met", 2.781),
    ("silence_after_decline", 0.249),
    ("attendance_falling", 2.531),
    ("commitments_falling", 3.846),
    ("members_lapsed", 5.304),
    ("members_left", 0.394),
    ("weak_start", 3.503),
    ("cancelled_no_date", 0.182),
    ("on_calendar", -0.979),
    ("no_shows", 2.018),
    ("facilitator_gone", 4.336),
)
WATCH_P = 0.5
AT_RISK_P = 0.7
RECOVER_P = 0.42
