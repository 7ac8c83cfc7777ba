"""Inline SVG and table visualisations: at-risk groups per week, the attendance heatmap.

Each chart carries a title and description for screen readers and a data table beside
it; series differ by pattern and label, not only by colour.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.dashboard.html import h, table

W, H, PAD_L, PAD_B, PAD_T = 640, 240, 40, 36, 24


def _weeks(trend: list[dict[str, Any]], last: int) -> list[tuple[str, int, int]]:
    by_week: dict[str, dict[str, int]] = {}
    for row in trend:
        by_week.setdefault(row["week"], {})[row["level"]] = int(row["groups"] or 0)
    weeks = sorted(by_week)[-last:]
    return [(w, by_week[w].get("at_risk", 0), by_week[w].get("dormant", 0)) for w in weeks]


def risk_chart(trend: list[dict[str, Any]], last: int = 12) -> str:
    """Stacked bars of at-risk (solid) and dormant (hatched) groups per ISO week."""
    weeks = _weeks(trend, last)
    if not weeks:
        return '<p class="empty">No weekly history yet.</p>'
    peak = max(1, max(a + d for _, a, d in weeks))
    tick = 1 if peak <= 6 else -(-peak // 4)
    top = -(-peak // tick) * tick
    step = (W - PAD_L - 8) / len(weeks)
    bar = min(48.0, step * 0.6)
    scale = (H - PAD_B - PAD_T) / top

    def y(v: float) -> float:
        return H - PAD_B - v * scale

    parts = [_axis(top, tick, y)]
    for i, (week, at_risk, dormant) in enumerate(weeks):
        x = PAD_L + i * step + (step - bar) / 2
        label = f"{week}: {at_risk} at risk, {dormant} dormant"
        parts.append(f'<g class="bar"><title>{h(label)}</title>')
        parts.append(f'<rect class="s-at-risk" x="{x:.1f}" y="{y(at_risk):.1f}" width="{bar:.1f}"'
                     f' height="{at_risk * scale:.1f}"/>')  # fmt: skip
        parts.append(
            f'<rect class="s-dormant" x="{x:.1f}" y="{y(at_risk + dormant):.1f}" '
            f'width="{bar:.1f}" height="{dormant * scale:.1f}" fill="url(#hatch)"/>'
        )
        parts.append(f'<text class="value" x="{x + bar / 2:.1f}" y="{y(at_risk + dormant) - 4:.1f}"'
                     f' text-anchor="middle">{at_risk + dormant}</text>')  # fmt: skip
        parts.append(
            f'<text class="tick" x="{x + bar / 2:.1f}" y="{H - PAD_B + 16}" '
            f'text-anchor="middle">{h(week[-3:])}</text></g>'
        )
    svg = (f'<svg id="risk-chart" class="chart" viewBox="0 0 {W} {H}" role="img" '
           f'aria-labelledby="risk-chart-title risk-chart-desc" width="100%">'
           '<title id="risk-chart-title">Groups at risk or dormant per week</title>'
           f'<desc id="risk-chart-desc">{h(_summary(weeks))}</desc>{_defs()}'
           + "".join(parts) + "</svg>")  # fmt: skip
    legend = ('<ul class="legend"><li><span class="key s-at-risk" aria-hidden="true"></span>'
              'At risk (solid)</li><li><span class="key s-dormant hatch" aria-hidden="true">'
              "</span>Dormant (hatched)</li></ul>")  # fmt: skip
    rows = [(h(w), str(a), str(d)) for w, a, d in weeks]
    data = table("At-risk and dormant groups per ISO week", ["Week", "At risk", "Dormant"],
                 rows, numeric=(1, 2))  # fmt: skip
    return (
        f'<figure class="chart-box">{svg}{legend}<details><summary>Show the numbers'
        f"</summary>{data}</details></figure>"
    )


def _defs() -> str:
    return (
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" class="hatch-bg"/>'
        '<line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern></defs>'
    )


def _axis(top: int, step: int, y) -> str:
    ticks = list(range(0, top + 1, step))
    lines = [f'<line class="axis" x1="{PAD_L}" y1="{H - PAD_B}" x2="{W}" y2="{H - PAD_B}"/>']
    for t in ticks:
        lines.append(f'<line class="grid" x1="{PAD_L}" y1="{y(t):.1f}" x2="{W}" y2="{y(t):.1f}"/>'
                     f'<text class="tick" x="{PAD_L - 6}" y="{y(t) + 4:.1f}" '
                     f'text-anchor="end">{t}</text>')  # fmt: skip
    return "".join(lines)


def _summary(weeks: list[tuple[str, int, int]]) -> str:
    first, last = weeks[0], weeks[-1]
    peak = max(weeks, key=lambda w: w[1] + w[2])
    return (
        f"From {first[0]} to {last[0]}: {last[1] + last[2]} groups at risk or dormant in "
        f"the latest week, peak {peak[1] + peak[2]} in {peak[0]}."
    )


CELL = {"present": ("✓", "Present"), "absent": ("✗", "Absent"), "excused": ("E", "Excused")}


def heatmap(members: list[dict[str, Any]], sessions: list[dict[str, Any]]) -> str:
    """Members × held sessions: one cell per attendance, symbol + words + colour."""
    held = [s for s in sessions if s.get("status") == "held"][-12:]
    if not members or not held:
        return '<p class="empty">No held sessions with attendance yet.</p>'
    heads = ["Member"] + [_short(s.get("at")) for s in held] + ["Attended"]
    rows = []
    for m in members:
        cells, seen, came = [member_label(m)], 0, 0
        for s in held:
            status = next((k for k in CELL if m["member_id"] in (s.get(k) or [])), None)
            if status is None:
                cells.append(
                    '<span class="cell none" title="Not recorded">·'
                    '<span class="sr">Not recorded</span></span>'
                )
                continue
            symbol, words = CELL[status]
            seen, came = seen + 1, came + (status == "present")
            cells.append(f'<span class="cell {status}" title="{words}">'
                         f'<span aria-hidden="true">{symbol}</span>'
                         f'<span class="sr">{words}</span></span>')  # fmt: skip
        cells.append(f"{came}/{seen}" if seen else "—")
        rows.append(cells)
    return table("Attendance per member and session (✓ present, ✗ absent, E excused)", heads,
                 rows, table_id="heatmap", numeric=(len(heads) - 1,))  # fmt: skip


def member_label(m: dict[str, Any]) -> str:
    """A member's name, or a pseudonymous label when the name is unknown or forgotten."""
    name = m.get("display_name") or m.get("pseudonym")
    label = h(name) if name else f'<span class="anon">Member {h(str(m["member_id"])[-4:])}</span>'
    return label + (' <span class="tag">lapsed</span>' if m.get("status") == "lapsed" else "")


def _short(value: Any) -> str:
    try:
        return datetime.fromisoformat(str(value)).strftime("%d %b")
    except ValueError:
        return str(value or "?")
