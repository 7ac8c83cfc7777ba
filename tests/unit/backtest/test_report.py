"""The report: markdown tables side by side, an HTML file with its charts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from projections.backtest import NAIVE, Report
from projections.backtest.alerts import Alerts
from projections.backtest.evaluation import Evaluation
from projections.backtest.metrics import GroupOutcome

T0 = datetime(2025, 1, 6, tzinfo=UTC)


def _report() -> Report:
    def evaluation(lead: float | None, flagged: bool, pairs):
        outcomes = [GroupOutcome("a", "dormant", "slow_fade", True, True, lead),
                    GroupOutcome("b", "kept_meeting", "steady", flagged, flagged)]  # fmt: skip
        weekly = Counter({T0.date(): 2, (T0 + timedelta(days=7)).date(): 1})
        return Evaluation(outcomes, pairs, Alerts(3, 2.0, weekly))

    return Report(
        {"current": evaluation(2.5, False, [(0.9, 1), (0.1, 0)]),
         "candidate": evaluation(None, True, [(0.5, 1), (0.5, 0)]),
         NAIVE: evaluation(1.0, True, None)},
        T0, T0 + timedelta(days=14), events=1234, labels=Counter(dormant=1, kept_meeting=1),
    )  # fmt: skip


def test_the_markdown_puts_both_policies_and_the_naive_rule_side_by_side():
    text = _report().to_markdown()
    assert "| | current | candidate | naive | unit |" in text.replace("|  |", "| |")
    lines = {line.split("|")[1].strip(): line for line in text.splitlines() if "|" in line}
    recall = [c.strip() for c in lines["recall: standing flag before dormancy"].split("|")]
    assert recall[2:5] == ["1.000", "0.000", "1.000"]
    assert "| 2.500 | – | 1.000 |" in lines["median lead of the first standing flag"]
    assert "## Per family" in text and "## Reliability: current" in text
    assert "## Reliability: naive" not in text, "the naive rule gives no probability"


def test_the_html_report_is_written_with_its_charts(tmp_path):
    path = _report().write_html(tmp_path / "backtest.html")
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and html.count("<svg") == 2
    assert "Alerts raised per week" in html and "Reliability" in html
    assert "<td>0.010</td>" in html, "the current policy's Brier score"


def test_the_alerts_chart_keeps_quiet_weeks_and_draws_without_any_alert():
    from projections.backtest.chart import alerts_chart

    monday = T0.date()
    chart = alerts_chart({"current": {monday: 1, monday + timedelta(weeks=3): 2}})
    [points] = [p for p in chart.split('points="')[1:]]
    assert len(points.split('"')[0].split()) == 4, "four weeks, two of them quiet"
    assert "<svg" in alerts_chart({"current": {}})
