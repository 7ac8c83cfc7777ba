"""The detection benchmark on one small program per split: figures, targets, status."""

from __future__ import annotations

from benchmarks._detection_rows import split_rows
from benchmarks.detection import score_seed
from infra.simulator import HELDOUT_FAMILY, HELDOUT_SEEDS, TUNING_SEEDS


def test_a_held_out_program_is_scored_beside_the_naive_rule_against_the_targets():
    split = score_seed(HELDOUT_SEEDS[0], True, groups=16, weeks=12)
    assert set(split.evaluations) == {"peerpulse", "naive"}
    assert split.judged > 0 and split.agree == split.judged, "labels match the truth"
    rows = {r["name"]: r for r in split_rows("held-out", split, HELDOUT_FAMILY, 16, 12)}
    recall = rows["held-out: recall: dormant groups with a standing flag before dormancy"]
    assert recall["target"] == "≥ 0.95" and recall["status"] in ("ok", "MISS")
    assert recall["status"] == ("ok" if recall["value"] >= 0.95 else "MISS")
    assert rows["held-out: non-dying groups ever at_risk"]["baseline_name"].startswith("naive")
    assert "held-out: Brier score of P(dormant within 3 periods)" in rows


def test_a_tuning_program_never_holds_the_held_out_family_and_carries_no_status():
    split = score_seed(TUNING_SEEDS[0], False, groups=16, weeks=12)
    families = {o.family for ev in split.evaluations.values() for o in ev.outcomes}
    assert families and HELDOUT_FAMILY not in families
    rows = split_rows("tuning", split, HELDOUT_FAMILY, 16, 12)
    assert rows and all("status" not in r for r in rows)
