"""Program pages: the list of programs and one program's overview with its triage table."""

from __future__ import annotations

from typing import Any

from api.dashboard.charts import risk_chart
from api.dashboard.html import (
    LEVEL_LABELS,
    LEVEL_ORDER,
    LEVEL_SYMBOLS,
    h,
    layout,
    level_badge,
    when,
)
from api.dashboard.html import table as html_table


def programs_page(programs: list[dict[str, Any]], open_alerts: int) -> str:
    """Every program the reader covers, with groups per level."""
    rows = [
        [f'<a href="/programs/{h(p["program_id"])}">{h(p["name"] or p["program_id"])}</a>',
         h(p.get("organisation")), str(p["groups"]),
         *(str(p["levels"][lvl]) for lvl in LEVEL_ORDER)]
        for p in programs
    ]  # fmt: skip
    heads = ["Program", "Organisation", "Groups", *(LEVEL_LABELS[lvl] for lvl in LEVEL_ORDER)]
    alerts = (f'<p class="callout"><a href="/alerts">{open_alerts} open alert'
              f'{"" if open_alerts == 1 else "s"}</a> waiting for a coordinator.</p>')  # fmt: skip
    body = alerts + html_table("Programs you can see", heads, rows, table_id="programs",
                               numeric=(2, 3, 4, 5, 6), empty="No programs yet.")  # fmt: skip
    return layout("Programs", body, nav="/")


def level_cards(levels: dict[str, int]) -> str:
    """Four counts, one per level, as a definition list."""
    items = "".join(
        f'<div class="card level-{lvl}"><dt><span aria-hidden="true">{LEVEL_SYMBOLS[lvl]}</span> '
        f"{LEVEL_LABELS[lvl]}</dt><dd>{levels.get(lvl, 0)}</dd></div>"
        for lvl in LEVEL_ORDER
    )
    return f'<dl class="cards" aria-label="Groups per level">{items}</dl>'


def chance(row: dict[str, Any]) -> str:
    """The model's probability that the group goes dormant within 3 cadence periods, as a
    percentage (rows written before the probability existed show their score)."""
    p = row.get("probability")
    return f"{float(p if p is not None else row.get('score') or 0):.0%}"


def triage_table(groups: list[dict[str, Any]]) -> str:
    """Groups riskiest first, each with its level, score and top reason."""
    rows = [
        [f'<a href="/groups/{h(g["group_id"])}">{h(g.get("name") or g["group_id"])}</a>',
         level_badge(g.get("level")), chance(g),
         h(g.get("top_reason") or "—"), when(g.get("last_session_at")),
         h(g.get("members") if g.get("members") is not None else "—")]
        for g in groups
    ]  # fmt: skip
    heads = ["Group", "Level", "Chance dormant in 3 periods", "Top reason", "Last session",
             "Members"]  # fmt: skip
    return html_table("Triage: groups sorted by risk, riskiest first", heads, rows,
                      table_id="triage", numeric=(2, 5), sortable=True,
                      empty="No groups in this program yet.")  # fmt: skip


def program_page(program: dict[str, Any], groups: list[dict[str, Any]], total: int,
                 trend: list[dict[str, Any]]) -> str:  # fmt: skip
    """One program: levels, the weekly at-risk chart and the triage table."""
    meta = " · ".join(h(x) for x in (program.get("organisation"), program.get("cadence")) if x)
    more = (f'<p class="note">Showing the {len(groups)} riskiest of {total} groups.</p>'
            if total > len(groups) else "")  # fmt: skip
    body = (
        f'<p class="meta">{meta}</p>{level_cards(program["levels"])}'
        f'<section aria-labelledby="trend-h"><h2 id="trend-h">At-risk groups per week</h2>'
        f"{risk_chart(trend)}</section>"
        f'<section aria-labelledby="triage-h"><h2 id="triage-h">Triage</h2>'
        f"{triage_table(groups)}{more}</section>"
    )
    return layout(program.get("name") or "Program", body, nav="/")
