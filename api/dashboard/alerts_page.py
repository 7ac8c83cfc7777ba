"""The alerts page: open, acknowledged and escalated alerts, with an acknowledge form."""

from __future__ import annotations

from typing import Any

from api.dashboard.html import h, layout, table, when

KIND_LABELS = {"member-lapsed": "Member lapsed", "group-at-risk": "Group at risk",
               "group-dormant": "Group dormant", "member-reengaged": "Member re-engaged",
               "group-recovered": "Group recovered"}  # fmt: skip
SECTIONS = (
    ("escalated", "Escalated", ("escalated",)),
    ("open", "Open", ("raised", "delivered", "snoozed", "inhibited")),
    ("acknowledged", "Acknowledged", ("acknowledged",)),
)


def _what(a: dict[str, Any]) -> str:
    reasons = a.get("detail", {}).get("reasons") or []
    if reasons and isinstance(reasons[0], dict) and reasons[0].get("text"):
        return h(reasons[0]["text"])
    misses = a.get("detail", {}).get("misses")
    return f"{h(misses)} sessions missed in a row" if misses else "—"


def _ack_form(a: dict[str, Any]) -> str:
    aid = h(a["alert_id"])
    return (f'<form method="post" action="/alerts/{aid}/ack" class="ack">'
            f'<label for="c-{aid}">Comment</label>'
            f'<input id="c-{aid}" name="comment" maxlength="2000" '
            'placeholder="What will you do?">'
            f'<button type="submit">Acknowledge</button></form>')  # fmt: skip


def _row(a: dict[str, Any], names: dict[str, str], with_form: bool) -> list[str]:
    group = names.get(a["group_id"]) or a["group_id"]
    who = (f'{h(a.get("acknowledged_by"))}: “{h(a.get("ack_comment"))}”'
           if a.get("acknowledged_by") else (_ack_form(a) if with_form else "—"))  # fmt: skip
    severity = "critical" if a.get("severity") == "critical" else "warning"
    return [f'<a href="/groups/{h(a["group_id"])}">{h(group)}</a>',
            f'<span class="sev sev-{severity}">{severity}</span> '
            f'{h(KIND_LABELS.get(a["kind"], a["kind"]))}',
            _what(a), when(a.get("raised_at"), True), h(a["status"]), who]  # fmt: skip


def alerts_page(alerts: list[dict[str, Any]], names: dict[str, str]) -> str:
    """Alerts in three sections; open and escalated ones can be acknowledged."""
    parts = []
    for key, title, statuses in SECTIONS:
        mine = [a for a in alerts if a["status"] in statuses]
        rows = [_row(a, names, key != "acknowledged") for a in mine]
        last = "Acknowledged by" if key == "acknowledged" else "Acknowledge"
        parts.append(
            f'<section aria-labelledby="{key}-h"><h2 id="{key}-h">{title} ({len(mine)})</h2>'
            + table(f"{title} alerts, newest first",
                    ["Group", "Alert", "What happened", "Raised", "Status", last], rows,
                    table_id=f"alerts-{key}", empty=f"No {title.lower()} alerts.")
            + "</section>"
        )  # fmt: skip
    return layout("Alerts", "".join(parts), nav="/alerts")
