"""The HTML report: the backtest's tables and two inline-SVG charts, in one file.

Hand-drawn SVG (a few polylines and circles) keeps the report free of a plotting
dependency and of external assets: it opens anywhere, offline.
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

from projections.backtest.calibration import Bin
from projections.backtest.report import Report, Table, reliability_table

W, H, PAD = 640, 280, 44
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#7f7f7f")


def _x(i: float, n: float) -> float:
    return PAD + (W - 2 * PAD) * (i / n if n else 0.0)


def _y(v: float, top: float) -> float:
    return H - PAD - (H - 2 * PAD) * (v / top if top else 0.0)


def _frame(title: str, x_label: str, y_label: str, body: list[str]) -> str:
    axes = [
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="#333"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="#333"/>',
        f'<text x="{W / 2}" y="{PAD / 2}" text-anchor="middle" font-weight="bold">'
        f"{escape(title)}</text>",
        f'<text x="{W / 2}" y="{H - 8}" text-anchor="middle">{escape(x_label)}</text>',
        f'<text x="12" y="{H / 2}" transform="rotate(-90 12 {H / 2})" text-anchor="middle">'
        f"{escape(y_label)}</text>",
    ]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
            f'font-family="sans-serif" font-size="12">{"".join(axes + body)}</svg>')  # fmt: skip


def _legend(names: list[str]) -> list[str]:
    return [
        f'<text x="{W - PAD - 120}" y="{PAD + 14 * i + 10}" fill="{COLOURS[i % len(COLOURS)]}">'
        f"■ {escape(name)}</text>"
        for i, name in enumerate(names)
    ]


def _every_week(seen: list[date]) -> list[date]:
    """Every Monday from the first to the last seen (quiet weeks too)."""
    if not seen:
        return []
    return [seen[0] + timedelta(weeks=i) for i in range((seen[-1] - seen[0]).days // 7 + 1)]


def alerts_chart(series: dict[str, dict[date, int]]) -> str:
    """Alerts raised per week, one line per detector."""
    weeks = _every_week(sorted({w for s in series.values() for w in s}))
    top = max([1, *(v for s in series.values() for v in s.values())])
    body = []
    for i, counts in enumerate(series.values()):
        points = " ".join(f"{_x(j, max(1, len(weeks) - 1)):.1f},{_y(counts.get(w, 0), top):.1f}"
                          for j, w in enumerate(weeks))  # fmt: skip
        body.append(f'<polyline fill="none" stroke="{COLOURS[i % len(COLOURS)]}" '
                    f'stroke-width="2" points="{points}"/>')  # fmt: skip
    if weeks:
        body.append(f'<text x="{PAD}" y="{H - PAD + 16}">{weeks[0]}</text>')
        body.append(f'<text x="{W - PAD}" y="{H - PAD + 16}" text-anchor="end">{weeks[-1]}</text>')
    body.append(f'<text x="{PAD - 4}" y="{PAD + 4}" text-anchor="end">{top}</text>')
    return _frame("Alerts raised per week", "week", "alerts", body + _legend(list(series)))


def reliability_chart(tables: dict[str, list[Bin]]) -> str:
    """Observed dormancy share against mean predicted probability, per policy."""
    body = [f'<line x1="{_x(0, 1)}" y1="{_y(0, 1)}" x2="{_x(1, 1)}" y2="{_y(1, 1)}" '
            'stroke="#aaa" stroke-dasharray="4 4"/>']  # fmt: skip
    for i, (name, bins) in enumerate(tables.items()):
        colour = COLOURS[i % len(COLOURS)]
        points = " ".join(f"{_x(b.predicted, 1):.1f},{_y(b.observed, 1):.1f}" for b in bins)
        body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        body += [f'<circle cx="{_x(b.predicted, 1):.1f}" cy="{_y(b.observed, 1):.1f}" r="4" '
                 f'fill="{colour}"><title>{escape(name)}: n={b.n}</title></circle>'
                 for b in bins]  # fmt: skip
    body += [f'<text x="{PAD}" y="{H - PAD + 16}">0</text>',
             f'<text x="{W - PAD}" y="{H - PAD + 16}" text-anchor="end">1</text>']  # fmt: skip
    return _frame("Reliability", "predicted P(dormant within 3 periods)", "observed share",
                  body + _legend(list(tables)))  # fmt: skip


def html_table(table: Table) -> str:
    """An HTML table of a report table."""
    head, rows = table
    out = ["<table><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr>"]
    for row in rows:
        out += ["<tr>", *(f"<td>{escape(c)}</td>" for c in row), "</tr>"]
    return "".join(out + ["</table>"])


def html_report(report: Report) -> str:
    """The whole HTML document of ``report``."""
    series = {name: dict(ev.alerts.weekly) for name, ev in report.evaluations.items()}
    parts = [f"<h1>Backtest {report.start:%Y-%m-%d} – {report.end:%Y-%m-%d}</h1>",
             f"<p>{report.events:,} events; groups by hindsight label: "
             + escape(", ".join(f"{k} {v}" for k, v in sorted(report.labels.items()))) + "</p>",
             html_table(report.headline()), alerts_chart(series)]  # fmt: skip
    tables = report.reliability()
    if tables:
        parts.append(reliability_chart(tables))
    families = report.families()
    if families:
        parts += ["<h2>Per family</h2>", html_table(families)]
    for name, bins in tables.items():
        parts += [f"<h2>Reliability: {escape(name)}</h2>", html_table(reliability_table(bins))]
    style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}")  # fmt: skip
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>peerpulse backtest</title>'
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n")  # fmt: skip
