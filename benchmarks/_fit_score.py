"""Scores a policy on cached tuning programs with the real Projector, beside the naive
rule "no session for 2 cadence periods", and picks the level thresholds (decision 0017).

Definitions follow issue 13: a dying group is dormant 3 periods after its last held
session; it is **caught** when flagged at_risk after its decline began and before
dormancy; its **standing lead** is dormancy minus the start of the at_risk episode still
standing at dormancy (in periods). A surviving group is a false positive when it is ever
at_risk inside the simulated window; ``watch`` counts any level above healthy.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from statistics import median

from benchmarks._fit_data import Program
from projections.engine import Outputs, Projector
from projections.fold.envelope import parse_time
from projections.readmodel.tables import LEVEL_HISTORY
from projections.risk.schedule import grid_at_or_after
from projections.risk.thresholds import RiskPolicy

FLAGGED = ("at_risk", "dormant")
TARGETS = {"recall": 0.95, "lead": 2.0, "at_risk": 0.05, "watch": 0.30}
MARGIN = 0.8
"""Tune to this share of the false-positive bounds: held-out programs are not the same."""


def changes(program: Program, policy: RiskPolicy) -> dict[str, list[tuple[datetime, str]]]:
    """Level changes per group when the program is projected under ``policy``."""
    projector, out, found = Projector(policy, health_records=False), Outputs(), {}
    for ev in program.events:
        projector.process(ev, out)
        if len(out.rows) > 5000:
            _collect(out, found)
            out = Outputs()
    _collect(out, found)
    return found


def _collect(out: Outputs, found: dict) -> None:
    for row in out.rows:
        if row.table == LEVEL_HISTORY.name:
            found.setdefault(row.key[0], []).append(
                (parse_time(row.values["at"]), row.values["level"])
            )


def _standing(ch: list[tuple[datetime, str]], at: datetime) -> datetime | None:
    start = None
    for when, level in ch:
        if when > at:
            break
        if level in FLAGGED and start is None:
            start = when
        elif level not in FLAGGED:
            start = None
    return start


def _naive(program: Program, key: str) -> tuple[bool, float | None]:
    """The naive rule on one group: ever flagged inside the window; lead if it dies."""
    t = program.truth[key]
    period = timedelta(days=t.period_days)
    if t.dies:
        at = grid_at_or_after((t.last_session_at or t.formed_at) + 2 * period)
        return True, (t.dormant_at - at) / period
    held = sorted(
        e.time for e in program.events if e.subject == key and e.type.endswith("session.held.v1")
    )
    marks = [t.formed_at, *held, program.end]
    return any(b - a >= 2 * period for a, b in zip(marks, marks[1:], strict=False)), None


def score(programs: list[Program], policy: RiskPolicy, naive: bool = False) -> dict[str, float]:
    """Recall, median standing lead, false-positive and watch shares (model or naive)."""
    caught = leads = dying = 0
    lead_values, sudden, fp, watch, surviving = [], [], {}, 0, 0
    for program in programs:
        ch = {} if naive else changes(program, policy)
        for key, t in program.truth.items():
            if t.censored:
                continue
            period = timedelta(days=t.period_days)
            if naive:
                flagged, lead = _naive(program, key)
            if t.dies:
                dying += 1
                if not naive:
                    g = ch.get(key, [])
                    since = min(t.decline_at or t.formed_at, t.dormant_at)
                    start = _standing(g, t.dormant_at)
                    lead = (t.dormant_at - max(start, since)) / period if start else None
                    caught += _standing(g, since) is not None or any(
                        since <= w < t.dormant_at and lv in FLAGGED for w, lv in g
                    )
                else:
                    caught += 1
                if lead is not None and lead > 0:
                    leads += 1
                    lead_values.append(lead)
                    if t.fate == "sudden_stop":
                        sudden.append(lead)
                continue
            surviving += 1
            if naive:
                fp.setdefault(t.fate, []).append(flagged)
                continue
            g = [(w, lv) for w, lv in ch.get(key, []) if w <= program.end]
            fp.setdefault(t.fate, []).append(any(lv in FLAGGED for _, lv in g))
            watch += any(lv != "healthy" for _, lv in g)
    every = [f for fs in fp.values() for f in fs]
    result = {"recall": caught / dying, "standing_recall": leads / dying,
              "lead": median(lead_values) if lead_values else 0.0,
              "sudden_lead": median(sudden) if sudden else 0.0,
              "at_risk": sum(every) / len(every), "watch": watch / surviving}  # fmt: skip
    result.update({f"fp_{fate}": sum(fs) / len(fs) for fate, fs in fp.items()})
    return result


def acceptable(m: dict[str, float], naive: dict[str, float]) -> bool:
    """Meets issue 13's targets on the tuning programs, false positives with a margin."""
    return (m["recall"] >= TARGETS["recall"] and m["standing_recall"] >= TARGETS["recall"]
            and m["at_risk"] <= MARGIN * TARGETS["at_risk"]
            and m.get("fp_steady", 0) <= naive.get("fp_steady", 0)
            and m["sudden_lead"] >= naive["sudden_lead"])  # fmt: skip


def choose(programs: list[Program], policy: RiskPolicy) -> RiskPolicy:
    """The at_risk threshold with the longest median standing lead among those meeting the
    targets; if none does, the one with the largest Youden index (recall minus the share
    of surviving groups flagged). Then the lowest watch threshold that adds at most
    ``WATCH_EXTRA`` surviving groups reaching ``watch`` (at most the target's share)."""
    naive = score(programs, policy, naive=True)
    print("naive:", _fmt(naive))
    best, fallback = None, None
    for at_risk in AT_RISK_GRID:
        cand = replace(policy, at_risk_p=at_risk, recover_p=round(at_risk * 0.6, 3),
                       watch_p=at_risk)  # fmt: skip
        m = score(programs, cand)
        print(f"at_risk_p {at_risk}:", _fmt(m))
        if acceptable(m, naive) and (best is None or m["lead"] > best[0]["lead"]):
            best = (m, cand)
        if (
            fallback is None
            or m["recall"] - m["at_risk"] > fallback[0]["recall"] - fallback[0]["at_risk"]
        ):
            fallback = (m, cand)
    chosen_m, chosen = best or fallback  # type: ignore[misc]
    bound = max(TARGETS["watch"] * MARGIN, chosen_m["at_risk"]) + WATCH_EXTRA
    for watch in WATCH_GRID:
        if watch >= chosen.at_risk_p:
            break
        cand = replace(chosen, watch_p=watch)
        m = score(programs, cand)
        print(f"watch_p {watch}:", _fmt(m))
        if m["watch"] <= bound:
            return cand
    return chosen


AT_RISK_GRID = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)
WATCH_GRID = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
WATCH_EXTRA = 0.05


def _fmt(m: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.3f}" for k, v in m.items())
