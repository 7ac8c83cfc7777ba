"""The backtest's report: current vs candidate policy vs the naive rule, side by side.

:meth:`Report.to_markdown` gives the tables (headline figures, per family when families
are known, reliability per policy, labels); :meth:`Report.write_html` the same tables
with an inline-SVG chart of alerts per week and a reliability diagram
(:mod:`projections.backtest.chart`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from projections.backtest.calibration import Bin, reliability
from projections.backtest.evaluation import Evaluation, Summary, by_family, is_nan
from projections.backtest.replay import NAIVE

Table = tuple[list[str], list[list[str]]]

HEADLINES: tuple[tuple[str, str, str], ...] = (
    ("dormant groups (with hindsight)", "dormant", "n"),
    ("recall: standing flag before dormancy", "recall", "ratio"),
    ("median lead of the first standing flag", "lead", "periods"),
    ("non-dying groups", "non_dying", "n"),
    ("non-dying groups ever at_risk", "false_positive_rate", "ratio"),
    ("non-dying groups that reached watch", "watch_share", "ratio"),
    ("Brier score of P(dormant within 3 periods)", "brier", ""),
    ("observed dormancy rate of the forecasts", "base_rate", "ratio"),
    ("alerts per coordinator per week", "alerts_per_coordinator_week", ""),
)
"""(row title, :class:`Summary` field, unit)."""


def cell(value: float | int | str | None) -> str:
    """A figure as text: ``–`` for nothing to measure."""
    if value is None or (isinstance(value, float) and is_nan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


@dataclass
class Report:
    """Evaluations per detector (policies first, ``naive`` last) over one range."""

    evaluations: dict[str, Evaluation]
    start: datetime
    end: datetime
    events: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    refused: int = 0
    """Events the projector could not take, left out as the live worker quarantines them."""

    def summaries(self) -> dict[str, Summary]:
        """The headline :class:`Summary` of every detector."""
        return {n: Summary.of(ev, gives_watch=n != NAIVE) for n, ev in self.evaluations.items()}

    def headline(self) -> Table:
        """Rows of figures, one column per detector."""
        summaries = self.summaries()
        head = ["", *summaries, "unit"]
        rows = [[title, *(cell(getattr(s, attr)) for s in summaries.values()), unit]
                for title, attr, unit in HEADLINES]  # fmt: skip
        return head, rows

    def families(self) -> Table | None:
        """Per family and detector: recall and lead (dying) or flag and watch rates."""
        per = {name: by_family(ev) for name, ev in self.evaluations.items()}
        names = sorted({f for fam in per.values() for f in fam})
        if not names:
            return None
        head = ["family", "n dormant", "n non-dying"]
        for detector in per:
            head += [f"{detector}: recall", f"{detector}: lead", f"{detector}: ever at_risk"]
        rows = []
        for family in names:
            first = next(iter(per.values()))[family]
            row = [family, str(first.dormant), str(first.non_dying)]
            for fam in per.values():
                s = fam[family]
                row += [cell(s.recall), cell(s.lead), cell(s.false_positive_rate)]
            rows.append(row)
        return head, rows

    def reliability(self) -> dict[str, list[Bin]]:
        """The reliability table of each detector that gives a probability."""
        return {n: reliability(ev.pairs) for n, ev in self.evaluations.items() if ev.pairs}

    def to_markdown(self) -> str:
        """The report as markdown text."""
        parts = [
            f"# Backtest {self.start:%Y-%m-%d} – {self.end:%Y-%m-%d}",
            f"{self.events:,} events; groups by hindsight label: "
            + ", ".join(f"{k} {v}" for k, v in sorted(self.labels.items()))
            + (
                f"; {self.refused:,} events the projector could not take were left out "
                "(the live worker quarantines them too)"
                if self.refused
                else ""
            ),
            _markdown(self.headline()),
        ]
        families = self.families()
        if families:
            parts += ["## Per family", _markdown(families)]
        for name, bins in self.reliability().items():
            parts += [f"## Reliability: {name}", _markdown(reliability_table(bins))]
        return "\n\n".join(parts) + "\n"

    def write_html(self, path: str | Path) -> Path:
        """Write the HTML report (tables and charts, no external assets); returns the path."""
        from projections.backtest.chart import html_report

        out = Path(path)
        out.write_text(html_report(self), encoding="utf-8")
        return out


def reliability_table(bins: list[Bin]) -> Table:
    """A reliability table: predicted range, forecasts, mean predicted, observed share."""
    head = ["predicted", "forecasts", "mean predicted", "observed"]
    rows = [[f"{b.low:.1f}–{b.high:.1f}", str(b.n), cell(b.predicted), cell(b.observed)]
            for b in bins]  # fmt: skip
    return head, rows


def _markdown(table: Table) -> str:
    head, rows = table
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)
