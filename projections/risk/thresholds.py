"""The risk policy (model coefficients, level thresholds, persistence) and the
:class:`Reason` a level comes with (decision 0017)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from projections.risk import fitted

HEALTHY, WATCH, AT_RISK, DORMANT = "healthy", "watch", "at_risk", "dormant"
LEVELS = (HEALTHY, WATCH, AT_RISK, DORMANT)


@dataclass(frozen=True, slots=True)
class RiskPolicy:
    """Everything ``assess`` is tuned by: one JSON object per program (:meth:`from_file`).

    ``coefficients`` are the log-odds weights of the features (``intercept`` first), fitted
    on the simulator's tuning seeds by ``benchmarks/fit_risk.py`` (``fitted_on`` says which);
    the level thresholds are on the probability of dormancy within 3 cadence periods."""

    coefficients: tuple[tuple[str, float], ...] = fitted.COEFFICIENTS
    fitted_on: str = fitted.FITTED_ON
    watch_p: float = fitted.WATCH_P
    at_risk_p: float = fitted.AT_RISK_P
    recover_p: float = fitted.RECOVER_P
    """Below this a standing at_risk flag may be withdrawn (hysteresis)."""
    raise_after_hours: float = 12.0
    """A higher level is shown only after p stayed above its threshold this long."""
    withdraw_after_hours: float = 24.0
    """An at_risk flag is withdrawn only after p stayed below ``recover_p`` this long."""
    dormant_after_periods: float = 3.0
    recent_sessions: int = 3
    baseline_min_sessions: int = 2
    baseline_min_gaps: int = 3
    young_sessions: int = 3
    cancel_window: int = 4
    min_reason: float = 0.05
    """Smallest contribution (log-odds) worth stating as a reason."""

    def to_dict(self) -> dict[str, Any]:
        """Every setting by name (tuples as lists): the JSON shape of :meth:`to_file`."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RiskPolicy:
        """A policy from settings by name; missing ones keep their defaults. An unknown
        name is an error that names it (a typo must not silently fall back to a default)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown risk policy setting(s): {', '.join(unknown)}")
        return cls(**{k: _frozen(v) for k, v in data.items()})

    def coefficient(self, name: str) -> float:
        """The fitted weight of one feature (0 if the policy has none)."""
        return dict(self.coefficients).get(name, 0.0)

    @classmethod
    def from_file(cls, path: str | Path) -> RiskPolicy:
        """A policy from a JSON object file (see :meth:`from_dict`)."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a risk policy file holds one JSON object")
        return cls.from_dict(data)

    def to_file(self, path: str | Path) -> None:
        """Write every setting as a JSON object (readable by :meth:`from_file`)."""
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True)
        Path(path).write_text(text + "\n", encoding="utf-8")


def _frozen(value: Any) -> Any:
    """JSON lists back to the tuples a frozen, hashable policy holds."""
    return tuple(_frozen(v) for v in value) if isinstance(value, list) else value


DEFAULT_POLICY = RiskPolicy()


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a group scored what it did: a stable code, plain-words evidence, and its weight:
    the contribution to the log-odds of dormancy (negative: evidence of life)."""

    code: str
    text: str
    weight: float

    def to_dict(self) -> dict[str, object]:
        """The wire/read-model shape ``{code, text, weight}``."""
        return {"code": self.code, "text": self.text, "weight": self.weight}


@dataclass(frozen=True, slots=True)
class Evidence:
    """One feature's value for one group, with the plain words that state it."""

    code: str
    value: float
    text: str
