"""Fit the risk model on the simulator's tuning seeds and write its defaults (decision 0017).

Run by hand::

    .venv/bin/python -m benchmarks.fit_risk            # fit, tune thresholds, write defaults
    .venv/bin/python -m benchmarks.fit_risk --dry-run  # print only

1. Each tuning program (``infra.simulator.TUNING_SEEDS``, held-out family left out; never
   a held-out seed) is replayed once through the pipeline and cached
   (``benchmarks._fit_data``, ``FIT_CACHE``, default /tmp/peerpulse-fit).
2. Samples: every active, unpaused group at every midnight, its features as ``assess``
   reads them, labelled 1 if it goes dormant within the next 3 cadence periods.
3. A logistic regression (Newton / IRLS, a small ridge penalty; pure Python) gives the
   coefficients; rows with equal features are pooled, which makes it quick.
4. The level thresholds are chosen on the same tuning programs with the real
   :class:`~projections.engine.Projector` (``benchmarks._fit_score``) against issue 13's
   targets; the coefficients, thresholds and seeds go to ``projections/risk/fitted.py``.
"""

from __future__ import annotations

import math
import os
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from benchmarks._fit_data import export, load, samples
from benchmarks._fit_score import choose
from projections.risk import fitted
from projections.risk.thresholds import DEFAULT_POLICY, RiskPolicy

NAMES = tuple(name for name, _ in fitted.COEFFICIENTS)
RIDGE = 1.0
FITTED = Path(fitted.__file__)


def programs() -> list:
    """The cached tuning programs (exported on first use)."""
    from infra.simulator import TUNING_SEEDS

    cache = Path(os.environ.get("FIT_CACHE", "/tmp/peerpulse-fit"))
    cache.mkdir(parents=True, exist_ok=True)
    paths = []
    for seed in TUNING_SEEDS:
        path = cache / f"seed-{seed}.json.gz"
        paths.append(path if path.exists() else export(seed, cache))
    return [load(p) for p in paths]


def pooled(progs: list, policy: RiskPolicy) -> dict[tuple[float, ...], list[int]]:
    """Feature vectors (intercept first, rounded) -> [samples, dormant]."""
    rows: dict[tuple[float, ...], list[int]] = defaultdict(lambda: [0, 0])
    for prog in progs:
        for values, y in samples(prog, policy):
            x = (1.0, *(round(values.get(n, 0.0), 2) for n in NAMES[1:]))
            row = rows[x]
            row[0] += 1
            row[1] += y
    return rows


def fit(rows: dict[tuple[float, ...], list[int]], iterations: int = 25) -> list[float]:
    """Maximum (ridge-penalised) likelihood logistic coefficients by Newton's method."""
    k = len(NAMES)
    beta = [0.0] * k
    for _ in range(iterations):
        grad = [-RIDGE * b if i else 0.0 for i, b in enumerate(beta)]
        hess = [[(RIDGE if i == j and i else 0.0) for j in range(k)] for i in range(k)]
        for x, (n, pos) in rows.items():
            p = 1 / (
                1
                + math.exp(-max(-30.0, min(30.0, sum(b * v for b, v in zip(beta, x, strict=True)))))
            )
            w, r = n * p * (1 - p), pos - n * p
            nz = [(i, v) for i, v in enumerate(x) if v]
            for i, v in nz:
                grad[i] += r * v
                for j, u in nz:
                    hess[i][j] += w * v * u
        step = _solve(hess, grad)
        beta = [b + s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return beta


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the Hessian is small and positive)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        if abs(m[c][c]) < 1e-12:
            continue
        for r in range(n):
            if r != c and m[r][c]:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c], strict=True)]
    return [m[i][n] / m[i][i] if abs(m[i][i]) > 1e-12 else 0.0 for i in range(n)]


def write(policy: RiskPolicy, seeds: str) -> None:
    """Rewrite ``projections/risk/fitted.py`` with the policy's coefficients and thresholds."""
    head = FITTED.read_text(encoding="utf-8").split("FITTED_ON =")[0]
    lines = [f'FITTED_ON = "{seeds}"', "COEFFICIENTS: tuple[tuple[str, float], ...] = ("]
    lines += [f'    ("{name}", {value!r}),' for name, value in policy.coefficients]
    lines += [")", f"WATCH_P = {policy.watch_p!r}", f"AT_RISK_P = {policy.at_risk_p!r}",
              f"RECOVER_P = {policy.recover_p!r}", ""]  # fmt: skip
    FITTED.write_text(head + "\n".join(lines), encoding="utf-8")


def main(argv: list[str]) -> None:
    """Fit, tune, print; write the defaults unless ``--dry-run``."""
    from infra.simulator import TUNING_SEEDS

    progs = programs()
    rows = pooled(progs, DEFAULT_POLICY)
    n = sum(c for c, _ in rows.values())
    print(f"{n} samples ({sum(p for _, p in rows.values())} dormant within 3 periods), "
          f"{len(rows)} distinct rows")  # fmt: skip
    beta = fit(rows)
    coefficients = tuple((name, round(b, 3)) for name, b in zip(NAMES, beta, strict=True))
    for name, b in coefficients:
        print(f"  {name:22s} {b:+.3f}")
    seeds = (
        f"simulator TUNING_SEEDS {TUNING_SEEDS[0]}-{TUNING_SEEDS[-1]} (held-out family left out)"
    )
    policy = replace(DEFAULT_POLICY, coefficients=coefficients, fitted_on=seeds)
    policy = choose(progs, policy)
    p = policy
    print(f"thresholds: watch {p.watch_p}, at_risk {p.at_risk_p}, recover {p.recover_p}")
    if "--dry-run" not in argv:
        write(policy, seeds)
        print(f"wrote {FITTED}")


if __name__ == "__main__":
    main(sys.argv[1:])
