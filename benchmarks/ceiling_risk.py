"""How far could any model on the same events get? A ceiling experiment for issue 13.

Run by hand, on the **tuning** programs only (never a held-out seed)::

    .venv/bin/pip install scikit-learn        # not a dependency of peerpulse
    .venv/bin/python -m benchmarks.ceiling_risk

Every active, unpaused group at every midnight of the cached tuning programs
(``benchmarks._fit_data.group_days``, as ``benchmarks/fit_risk.py`` samples them) gives the model's
features and 19 raw facts the model does not use (silence and usual gap unthresholded,
sessions held, cadence, size, lapsed members, recent cancellations and attendance, the
next session on the calendar, sessions scheduled since the last one, open commitments,
age, time since a pause). Models are fitted on seeds 1–14 and judged on seeds 15–20:

- logistic regression on the model's features (what peerpulse does),
- gradient-boosted trees on the same features (any non-linearity the logistic misses),
- gradient-boosted trees on the features and the raw facts (more information).

Each is judged per sample (log loss, AUC) and per group, as issue 13 counts: the share of
dying groups whose probability crossed a threshold before dormancy (recall), the share of
non-dying groups whose probability ever crossed it (false flags), and the median days
from the first crossing to dormancy — without persistence or the dormant level, so the
figures compare the models with each other, not with BENCHMARKS.md. Decision 0017
("Tried: a ceiling") has the result.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from statistics import median
from typing import Any

from benchmarks._fit_data import group_days
from benchmarks.fit_risk import NAMES, programs
from projections.fold.state import GroupState
from projections.risk.assess import DEFAULT_POLICY, features
from projections.risk.rhythm import silence_periods, usual_gap

TRAIN_UNTIL = 14
"""Tuning seeds 1..14 fit; 15..20 judge."""
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def raw_facts(s: GroupState, at: datetime) -> dict[str, float]:
    """Facts of the state the model's features do not use as such (periods, counts)."""
    per = s.cadence_days * 86400.0
    present = [len(r.present) for r in s.recent if r.attendance_taken]
    ahead = [t for t in s.scheduled.values() if t > at]
    since = s.last_held_at or s.formed_at
    missed = [t for t in s.scheduled.values() if t <= at and (since is None or t > since)]

    def periods(t: datetime | None) -> float:
        return (at - t).total_seconds() / per if t is not None else -1.0

    return {
        "silence_raw": silence_periods(s, at) or 0.0,
        "usual_gap": usual_gap(s, DEFAULT_POLICY),
        "held": s.held_count,
        "cadence_days": s.cadence_days,
        "members": sum(1 for m in s.members.values() if m.left_at is None),
        "lapsed": sum(1 for m in s.members.values() if m.lapsed),
        "cancelled_of_4": s.outcomes[-4:].count("cancelled"),
        "held_of_4": s.outcomes[-4:].count("held"),
        "cancelled_total": s.cancelled_count,
        "present_last": present[-1] if present else -1,
        "present_last_3": sum(present[-3:]) / len(present[-3:]) if present else -1,
        "present_mean": sum(present) / len(present) if present else -1,
        "next_session": (min(ahead) - at).total_seconds() / per if ahead else -1,
        "scheduled_since_last": len(missed),
        "since_cancelled": periods(s.last_cancelled_at),
        "open_commitments": len(s.open_commitments),
        "commitments_made": s.commitments_made,
        "age": periods(s.formed_at),
        "since_pause": periods(s.resumed_at),
    }


def samples() -> Iterator[dict[str, Any]]:
    """One row per active, unpaused group per midnight of every cached tuning program."""
    for prog in programs():
        for s, day, truth, y in group_days(prog, DEFAULT_POLICY):
            found = {e.code: e.value for e in features(s, day, DEFAULT_POLICY)}
            yield {"seed": prog.seed, "group": truth.key, "dies": truth.dies, "y": y,
                   "model": [found.get(n, 0.0) for n in NAMES[1:]],
                   "raw": list(raw_facts(s, day).values())}  # fmt: skip


def per_group(rows: list[dict[str, Any]], p: list[float]) -> list[str]:
    """Recall, false flags and median lead (days) per threshold, as issue 13 counts them."""
    by_group: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_group[r["group"]].append(i)
    out = []
    for t in THRESHOLDS:
        caught = dying = flagged = fine = 0
        leads = []
        for idx in by_group.values():
            first = next((k for k, i in enumerate(idx) if p[i] >= t), None)
            if rows[idx[0]]["dies"]:
                if not any(rows[i]["y"] for i in idx):
                    continue  # a dying group whose dormancy fell outside the window
                dying += 1
                if first is not None:
                    caught += 1
                    leads.append(len(idx) - first)
            else:
                fine += 1
                flagged += first is not None
        lead = median(leads) if leads else 0
        out.append(f"{t:.1f}: recall {caught / dying:.2f}, false {flagged / fine:.2f}, "
                   f"lead {lead:.0f} d")  # fmt: skip
    return out


def main() -> None:
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import log_loss, roc_auc_score
    except ImportError:
        sys.exit("ceiling_risk needs scikit-learn: .venv/bin/pip install scikit-learn")
    rows = list(samples())
    train = [r for r in rows if r["seed"] <= TRAIN_UNTIL]
    judge = [r for r in rows if r["seed"] > TRAIN_UNTIL]
    print(f"{len(train)} training samples (seeds ≤ {TRAIN_UNTIL}), {len(judge)} judged")

    def boosted() -> Any:
        return HistGradientBoostingClassifier(
            max_iter=300, learning_rate=0.05, max_leaf_nodes=31, l2_regularization=1.0,
            random_state=0,
        )  # fmt: skip

    cases = (
        ("logistic, the model's features", LogisticRegression(max_iter=2000), ("model",)),
        ("boosted trees, the model's features", boosted(), ("model",)),
        ("boosted trees, features + raw facts", boosted(), ("model", "raw")),
    )
    for name, model, parts in cases:

        def x(rs: list[dict[str, Any]], parts: tuple[str, ...] = parts) -> list[list[float]]:
            return [[v for part in parts for v in r[part]] for r in rs]

        model.fit(x(train), [r["y"] for r in train])
        p = list(model.predict_proba(x(judge))[:, 1])
        y = [r["y"] for r in judge]
        print(f"\n{name}: log loss {log_loss(y, p):.4f}, AUC {roc_auc_score(y, p):.4f}")
        for line in per_group(judge, p):
            print("  p ≥ " + line)


if __name__ == "__main__":
    main()
