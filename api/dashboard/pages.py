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
)
from api.dashboard.html import table as html_table


def programs_page(programs: list[dict[str, Any]], alerts: str) -> str:
    """Every program the reader covers, with groups per level, under the alert summary."""
    rows = [
        [f'<a href="/programs/{h(p["program_id"])}">{h(p["name"] or p["program_id"])}</a>',
         h(p.get("organisation")), str(sum(p["levels"].values())),
         *(str(p["levels"][lvl]) for lvl in LEVEL_ORDER)]
        for p in programs
    ]  # fmt: skip
    heads = ["Program", "Organisation", "Groups", *(LEVEL_LABELS[lvl] for lvl in LEVEL_ORDER)]
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


def alert_summary(counts: dict[str, int], link: str) -> str:
    """How many groups have an open alert, waiting or acknowledged: the same counts, from
    the same alerts, as the alerts page's headline (:func:`api.triage.alert_counts`)."""
    groups = counts["waiting"] + counts["acknowledged"]
    return (f'<p class="callout" id="alert-summary"><a href="{h(link)}">{groups} group'
            f'{"" if groups == 1 else "s"} with an open alert</a>: {counts["waiting"]} waiting '
            f'for a coordinator, {counts["acknowledged"]} acknowledged.</p>')  # fmt: skip


def program_page(program: dict[str, Any], levels: dict[str, int], triage: str,
                 trend: list[dict[str, Any]], alerts: str) -> str:  # fmt: skip
    """One program: levels, alerts, the triage view, then the weekly at-risk chart."""
    meta = " · ".join(h(x) for x in (program.get("organisation"), program.get("cadence")) if x)
    unmatched = f"/programs/{h(program.get('program_id'))}/unmatched"
    meta += f' · <a href="{unmatched}">Unmatched attendance</a>'
    body = (
        f'<p class="meta">{meta}</p>{level_cards(levels)}{alerts}{triage}'
        f'<section aria-labelledby="trend-h"><h2 id="trend-h">At-risk groups per week</h2>'
        f"{risk_chart(trend)}</section>"
    )
    return layout(program.get("name") or "Program", body, nav="/")
