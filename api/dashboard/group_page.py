"""One group's page: its open alerts with the forms to act on them (acknowledge, take it
back, snooze until a date, log an intervention), reasons, attendance heatmap,
commitments, level history, sessions."""

from __future__ import annotations

from typing import Any

from api.dashboard.alerts_page import alert_rows, intervention_form
from api.dashboard.charts import heatmap, member_label
from api.dashboard.html import h, layout, level_badge, table, when
from api.dashboard.pages import chance


def _reasons(reasons: list[dict[str, Any]]) -> str:
    if not reasons:
        return '<p class="empty">No concerns: nothing is pulling this group down.</p>'
    items = "".join(f'<li>{h(r["text"])} <span class="weight">({r["weight"]:+.2f} to the '
                    "log-odds)</span></li>" for r in reasons)  # fmt: skip
    return f'<ol class="reasons">{items}</ol>'


def _commitments(members: list[dict[str, Any]]) -> str:
    rows = []
    for m in members:
        made, kept = m["commitments_made"], m["commitments_kept"]
        rate = f"{round(100 * kept / made)}%" if made else "—"
        meter = (f'<meter min="0" max="{made}" value="{kept}" aria-hidden="true"></meter> '
                 if made else "")  # fmt: skip
        rows.append([member_label(m), str(made), str(kept), str(m["commitments_missed"]),
                     str(m["commitments_dropped"]), meter + rate])  # fmt: skip
    return table("Commitment follow-through per member",
                 ["Member", "Made", "Kept", "Missed", "Dropped", "Kept rate"], rows,
                 table_id="commitments", numeric=(1, 2, 3, 4, 5),
                 empty="No members yet.")  # fmt: skip


def _history(history: list[dict[str, Any]]) -> str:
    rows = [[when(c.get("at"), True), level_badge(c.get("level")),
             level_badge(c["previous_level"]) if c.get("previous_level") else "—",
             chance(c),
             h(c["reasons"][0]["text"]) if c.get("reasons") else "—"]
            for c in reversed(history)]  # fmt: skip
    return table(
        "Level changes, newest first",
        ["When", "Level", "Before", "Chance dormant in 3 periods", "Main reason"],
        rows,
        table_id="history",
        numeric=(3,),
        empty="No level changes yet.",
    )


def _sessions(sessions: list[dict[str, Any]]) -> str:
    rows = []
    for s in reversed(sessions):
        if s.get("status") == "held":
            what = (
                f"{len(s['present'])} present, {len(s['absent'])} absent, "
                f"{len(s['excused'])} excused"
            )
        else:
            what = h(s.get("reason") or "")
        rows.append([when(s.get("at"), True), h(s.get("status") or "—"), what])
    return table(
        "Sessions, newest first",
        ["When", "Status", "Attendance or reason"],
        rows,
        table_id="sessions",
        empty="No sessions yet.",
    )


def _alerts(g: dict[str, Any], alerts: list[dict[str, Any]], coordinator: Any,
            coordinator_label: str | None = None) -> str:  # fmt: skip
    back = f"/groups/{g['group_id']}"
    mine = sorted(alerts, key=lambda a: a.get("raised_at") or "", reverse=True)
    rows = table("Open alerts of this group, newest first",
                 ["Alert", "What happened", "Raised", "Status", "Acknowledged", "Act"],
                 alert_rows(mine, back), table_id="group-alerts",
                 empty="No open alerts.")  # fmt: skip
    who = coordinator_label or g.get("coordinator_id") or "none assigned"
    note = (
        "" if coordinator else f'<p class="meta">Logged for the group\'s coordinator, {h(who)}.</p>'
    )
    return rows + note + intervention_form(g["group_id"], back)


def group_page(detail: dict[str, Any], members: list[dict[str, Any]],
               program_name: str | None, alerts: list[dict[str, Any]] | None = None,
               coordinator: Any = None,
               coordinator_label: str | None = None) -> str:  # fmt: skip
    """The whole group page; ``alerts``: the group's open alerts the reader may see."""
    g = detail["group"]
    crumbs = (
        f'<p class="crumbs"><a href="/programs/{h(g.get("program_id"))}">'
        f"{h(program_name or 'Program')}</a> › {h(g.get('name'))}</p>"
    )
    summary = (f'<p class="status">{level_badge(g.get("level"))} '
               f'<strong>{chance(g)}</strong> chance of going dormant within 3 periods · '
               f'{h(g.get("cadence"))} · '
               f'{h(g.get("members"))} members · last session {when(g.get("last_session_at"))}'
               "</p>")  # fmt: skip
    sections = [
        ("alerts", "Alerts and actions", _alerts(g, alerts or [], coordinator, coordinator_label)),
        ("reasons", "Why this level", _reasons(g.get("reasons") or [])),
        ("attendance", "Attendance", heatmap(members, detail["sessions"])),
        ("commitments", "Commitments", _commitments(members)),
        ("history", "Level history", _history(detail["level_history"])),
        ("sessions", "Sessions", _sessions(detail["sessions"])),
    ]
    body = (
        crumbs
        + summary
        + "".join(
            f'<section aria-labelledby="{key}-h"><h2 id="{key}-h">{title}</h2>{html}</section>'
            for key, title, html in sections
        )
    )
    return layout(g.get("name") or "Group", body)
