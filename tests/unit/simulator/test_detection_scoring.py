"""Detection scoring: what counts as caught, the lead, false positives; a small replay."""

from __future__ import annotations

from datetime import timedelta

from benchmarks._detection_score import first_flag, outcome, standing_since, summarise
from infra.simulator.plan import GroupTruth
from tests.unit.simulator.views import END

D = timedelta(days=1)
T0 = END - 100 * D


def _truth(dies: bool = True, fate: str = "slow_fade") -> GroupTruth:
    return GroupTruth(
        group="g", fate=fate, cadence="weekly", period_days=7, formed_at=T0, members=4,
        dies=dies, censored=False, last_session_at=T0 + 50 * D if dies else None,
        dormant_at=T0 + 78 * D if dies else None, decline_at=T0 + 30 * D if dies else None,
    )  # fmt: skip


def test_a_flag_raised_during_the_decline_counts_with_its_lead():
    changes = [(T0, "healthy"), (T0 + 43 * D, "at_risk"), (T0 + 78 * D, "dormant")]
    o = outcome(_truth(), changes, END)
    assert o.flagged and o.lead == 5.0 and o.standing_lead == 5.0


def test_a_flag_before_the_decline_only_counts_if_it_still_stands():
    early = [(T0 + 5 * D, "at_risk"), (T0 + 9 * D, "healthy"), (T0 + 64 * D, "at_risk")]
    assert outcome(_truth(), early, END).lead == 2.0
    standing = [(T0 + 5 * D, "at_risk")]
    assert first_flag(standing, T0 + 30 * D, T0 + 78 * D) == T0 + 30 * D


def test_a_withdrawn_flag_still_warned_but_did_not_stand():
    changes = [(T0 + 43 * D, "at_risk"), (T0 + 50 * D, "watch")]
    o = outcome(_truth(), changes, END)
    assert o.flagged and o.lead == 5.0 and o.standing_lead is None
    assert standing_since(changes, T0 + 78 * D) is None


def test_going_straight_to_dormant_is_a_miss():
    assert not outcome(_truth(), [(T0 + 78 * D, "dormant")], END).flagged


def test_any_flag_on_a_steady_group_inside_the_window_is_a_false_positive():
    steady = _truth(dies=False, fate="steady")
    assert outcome(steady, [(T0 + 3 * D, "at_risk"), (T0 + 4 * D, "healthy")], END).flagged
    assert not outcome(steady, [(END + D, "at_risk")], END).flagged, "after the window"
    s = summarise([outcome(steady, [], END), outcome(_truth(), [(T0 + 43 * D, "at_risk")], END)])
    assert (s.recall, s.lead, s.fpr) == (1.0, 5.0, 0.0)


def test_one_small_program_replays_through_the_real_pipeline():
    from benchmarks.detection import score_seed

    result = score_seed(3, groups=10)
    model = result["model"]
    assert len(model) == len(result["naive"]) > 0
    assert any(o.dies for o in model) and any(o.flagged for o in model)
