"""The detection benchmark's BENCHMARKS.md rows: each figure beside the naive rule, with
the issue-13 target and its status (targets are judged on the held-out split only).

A target is either a bound (``≥ 0.95``) or the naive rule's own figure (``≤ naive``:
no worse than the rule beside it).
"""

from __future__ import annotations

import math
from typing import Any

from projections.backtest import NAIVE
from projections.backtest.calibration import base_rate, brier, reliability
from projections.backtest.evaluation import Evaluation, Summary, by_family

MODEL = "peerpulse"
NON_DYING_FAMILIES = ("steady", "planned_pause", "dip_and_recovery")


def _status(value: float, naive: float, target: str) -> str:
    op, bound = target.split()
    limit = naive if bound == "naive" else float(bound)
    if math.isnan(value) or math.isnan(limit):
        return "MISS: nothing to measure"
    met = value >= limit if op == "≥" else value <= limit
    return "ok" if met else "MISS"


def _row(split: str, name: str, value: float, naive: float | None, unit: str,
         target: str = "", **extra: Any) -> dict[str, Any]:  # fmt: skip
    row: dict[str, Any] = {"name": f"{split}: {name}", "value": _round(value), "unit": unit,
                           "baseline": _round(naive) if naive is not None else "–",
                           "baseline_name": "naive: no session for 2 periods"}  # fmt: skip
    if target:
        row["target"] = target
        if split == "held-out":
            row["status"] = _status(value, naive if naive is not None else math.nan, target)
    return row | extra


def _round(value: float) -> float:
    return value if math.isnan(value) else round(value, 3)


def split_rows(split: str, merged, heldout_family: str, groups: int, weeks: int) -> list[dict]:
    """Headline rows, per-family rows, calibration and alert volume of one split."""
    model, naive = merged.evaluations[MODEL], merged.evaluations[NAIVE]
    m, n = Summary.of(model), Summary.of(naive, gives_watch=False)
    mf, nf = by_family(model), by_family(naive)
    seeds = f"seeds {min(merged.seeds)}–{max(merged.seeds)}" if merged.seeds else "no seeds"
    families = (f"every family, {heldout_family} included (never tuned on)"
                if split == "held-out" else f"every family but {heldout_family}")  # fmt: skip
    labels = ", ".join(f"{k} {v}" for k, v in sorted(merged.labels.items()))
    scope = (
        f"{split}: {seeds} × {groups} groups × {weeks} weeks, {families}; hindsight labels "
        f"{labels} (agree with the simulator's truth on {merged.agree}/{merged.judged})"
    )
    rows = [
        _row(split, "recall: dormant groups with a standing flag before dormancy", m.recall,
             n.recall, "ratio", "≥ 0.95", notes=scope),
        _row(split, "median lead of the first standing flag", m.lead, n.lead, "periods",
             "≥ 2.0", notes=f"n={m.dormant} dormant"),
        _row(split, "non-dying groups ever at_risk", m.false_positive_rate,
             n.false_positive_rate, "ratio", "≤ 0.05", notes=f"n={m.non_dying}"),
        _row(split, "steady groups ever at_risk", _fam(mf, "steady").false_positive_rate,
             _fam(nf, "steady").false_positive_rate, "ratio", "≤ naive"),
        _row(split, "non-dying groups that reached watch", m.watch_share, None, "ratio",
             "≤ 0.30"),
        _row(split, "non-dying groups ever at_risk, of those that came back from 3 periods "
             "of silence", m.came_back_flagged, n.came_back_flagged, "ratio",
             notes=f"n={m.came_back} of {m.non_dying}: dormant by the definition for a while "
                   "(no session, no announced pause), then met again"),
        _row(split, "non-dying groups ever at_risk, of the others", m.others_flagged,
             n.others_flagged, "ratio", notes=f"n={m.non_dying - m.came_back}"),
        _row(split, "sudden stops: median lead of the first standing flag",
             _fam(mf, "sudden_stop").lead, _fam(nf, "sudden_stop").lead, "periods", "≥ naive"),
    ]  # fmt: skip
    rows += _family_rows(split, mf, nf, heldout_family)
    rows += _calibration_rows(split, model)
    rows.append(_row(split, "alerts per coordinator per week", m.alerts_per_coordinator_week,
                     n.alerts_per_coordinator_week, "alerts",
                     notes=f"{model.alerts.raised} at_risk flags raised"))  # fmt: skip
    return rows


def _fam(per: dict[str, Summary], family: str) -> Summary:
    empty = Summary.of(Evaluation())
    return per.get(family, empty)


def _family_rows(split: str, mf: dict, nf: dict, heldout_family: str) -> list[dict]:
    rows = []
    for family, s in mf.items():
        naive = _fam(nf, family)
        tag = " (held-out family)" if family == heldout_family else ""
        if s.dormant:
            rows.append(_row(split, f"{family}{tag}: recall", s.recall, naive.recall, "ratio",
                             notes=f"n={s.dormant} dormant; median lead {s.lead:.2f} vs naive "
                                   f"{naive.lead:.2f} periods"))  # fmt: skip
        if s.non_dying and (family in NON_DYING_FAMILIES or not s.dormant):
            rows.append(_row(split, f"{family}{tag}: ever at_risk", s.false_positive_rate,
                             naive.false_positive_rate, "ratio",
                             notes=f"n={s.non_dying} non-dying; reached watch "
                                   f"{s.watch_share:.2f}"))  # fmt: skip
    return rows


def _calibration_rows(split: str, model: Evaluation) -> list[dict]:
    pairs = model.pairs or []
    rate = base_rate(pairs)
    climatology = brier([(rate, y) for _, y in pairs]) if pairs else math.nan
    rows = [{"name": f"{split}: Brier score of P(dormant within 3 periods)",
             "value": _round(brier(pairs)), "unit": "", "baseline": _round(climatology),
             "baseline_name": "constant base rate",
             "notes": f"{len(pairs)} daily forecasts; base rate {rate:.3f}"}]  # fmt: skip
    for b in reliability(pairs):
        rows.append({"name": f"{split}: reliability p {b.low:.1f}–{b.high:.1f}",
                     "value": _round(b.observed), "unit": "observed share",
                     "baseline": _round(b.predicted), "baseline_name": "mean predicted",
                     "ratio": "", "notes": f"n={b.n}"})  # fmt: skip
    return rows
