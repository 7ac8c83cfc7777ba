"""The alerts page: unresolved alerts, one block per group, with the forms to act on them.

Groups are ordered by their newest alert's raise time (newest first), and each group's
alerts newest raised first. Every alert has its forms (:mod:`api.dashboard.alert_forms`):
acknowledge with a comment or take the acknowledgement back, snooze until a date; each
group block has the form to log an intervention. The headline counts groups as the
program page does (:func:`api.triage.alert_counts`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from api.dashboard.html import h, layout, table, when

KIND_LABELS = {"member-lapsed": "Member lapsed", "group-at-risk": "Group at risk",
               "group-dormant": "Group dormant", "member-reengaged": "Member re-engaged",
               "group-recovered": "Group recovered", "group-watch": "Group on watch"}  # fmt: skip
DEFINITION = ("A group counts as <em>waiting</em> while any of its open alerts is not "
              "acknowledged, and as <em>acknowledged</em> once all of them are — the same "
              "counts as on the program pages. Newest first: groups by their most recently "
              "raised alert, and each group's alerts by when they were raised.")  # fmt: skip
INTERVENTION_KINDS = ("call", "message", "meeting", "ended")


def _what(a: dict[str, Any]) -> str:
    reasons = a.get("detail", {}).get("reasons") or []
    if reasons and isinstance(reasons[0], dict) and reasons[0].get("text"):
        return h(reasons[0]["text"])
    misses = a.get("detail", {}).get("misses")
    return f"{h(misses)} sessions missed in a row" if misses else "—"


def _post(action: str, inner: str, back: str, cls: str = "ack") -> str:
    return (f'<form method="post" action="{h(action)}" class="{cls}">'
            f'<input type="hidden" name="next" value="{h(back)}">{inner}</form>')  # fmt: skip


def ack_form(a: dict[str, Any], back: str) -> str:
    """Acknowledge with a comment."""
    aid = h(a["alert_id"])
    return _post(f"/alerts/{a['alert_id']}/ack",
                 f'<label for="c-{aid}">Comment</label><input id="c-{aid}" name="comment" '
                 'maxlength="2000" placeholder="What will you do?">'
                 '<button type="submit">Acknowledge</button>', back)  # fmt: skip


def unack_form(a: dict[str, Any], back: str) -> str:
    """Take the acknowledgement back."""
    button = '<button type="submit" class="secondary">Un-acknowledge</button>'
    return _post(f"/alerts/{a['alert_id']}/unack", button, back)


def snooze_form(a: dict[str, Any], back: str, today: datetime | None = None) -> str:
    """Snooze until a date (the start of that day, UTC)."""
    aid = h(a["alert_id"])
    first = ((today or datetime.now(UTC)) + timedelta(days=1)).date().isoformat()
    return _post(f"/alerts/{a['alert_id']}/snooze",
                 f'<label for="s-{aid}">Snooze until</label><input id="s-{aid}" name="until" '
                 f'type="date" min="{first}" required>'
                 '<button type="submit">Snooze</button>', back)  # fmt: skip


def intervention_form(group_id: str, back: str, coordinator: str | None = None) -> str:
    """Log what the coordinator did for the group (kind and a note)."""
    gid = h(group_id)
    kinds = "".join(f'<option value="{k}">{k}</option>' for k in INTERVENTION_KINDS)
    who = (f'<input type="hidden" name="coordinator" value="{h(coordinator)}">'
           if coordinator else "")  # fmt: skip
    return _post(f"/groups/{group_id}/interventions",
                 f'{who}<label for="k-{gid}">I did</label><select id="k-{gid}" name="kind">'
                 f'{kinds}</select><label for="n-{gid}">Note</label><input id="n-{gid}" '
                 'name="note" maxlength="500" placeholder="No personal data">'
                 '<button type="submit">Log intervention</button>', back,
                 cls="ack intervene")  # fmt: skip


def acknowledgement(a: dict[str, Any]) -> str:
    """Who acknowledged and their comment — or, after an un-acknowledge, the comment kept."""
    if a.get("acknowledged_by"):
        return f"{h(a['acknowledged_by'])}: “{h(a.get('ack_comment'))}”"
    if a.get("ack_comment"):
        return f'<span class="muted">earlier: “{h(a["ack_comment"])}”</span>'
    return "—"


def acknowledged(a: dict[str, Any]) -> bool:
    """Taken on by someone (the definition :func:`api.triage.acknowledgement` counts by)."""
    return a["status"] == "acknowledged" or bool(a.get("acknowledged_by"))


def actions(a: dict[str, Any], back: str) -> str:
    """The forms one alert offers in its state."""
    forms = unack_form(a, back) if acknowledged(a) else ack_form(a, back)
    return forms + snooze_form(a, back)


def alert_rows(alerts: list[dict[str, Any]], back: str) -> list[list[str]]:
    """One group's alerts as table rows (newest raised first)."""
    rows = []
    for a in alerts:
        severity = a.get("severity") if a.get("severity") in ("critical", "info") else "warning"
        status = h(a["status"])
        if a.get("snoozed_until") and a["status"] == "snoozed":
            status += f" until {when(a['snoozed_until'])}"
        rows.append([f'<span class="sev sev-{severity}">{severity}</span> '
                     f'{h(KIND_LABELS.get(a["kind"], a["kind"]))}',
                     _what(a), when(a.get("raised_at"), True), status, acknowledgement(a),
                     actions(a, back)])  # fmt: skip
    return rows


def by_group(alerts: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """``(group_id, its alerts)``, newest raised first in both."""
    newest = sorted(alerts, key=lambda a: (a.get("raised_at") or "", a["alert_id"]), reverse=True)
    groups: dict[str, list[dict[str, Any]]] = {}
    for a in newest:
        groups.setdefault(a["group_id"], []).append(a)
    return list(groups.items())


def alerts_page(alerts: list[dict[str, Any]], names: dict[str, str], summary: str = "") -> str:
    """Unresolved alerts in one block per group, newest first, under ``summary``."""
    parts = [summary, f'<p class="meta" id="alerts-definition">{DEFINITION}</p>']
    for n, (gid, mine) in enumerate(by_group(alerts)):
        name = names.get(gid) or gid
        waiting = sum(not acknowledged(a) for a in mine)
        state = f"{waiting} waiting" if waiting else "all acknowledged"
        parts.append(
            f'<section class="alert-group" aria-labelledby="g{n}-h" data-group="{h(gid)}">'
            f'<h2 id="g{n}-h"><a href="/groups/{h(gid)}">{h(name)}</a> '
            f'<span class="count">({len(mine)} open alert{"" if len(mine) == 1 else "s"}, '
            f"{state})</span></h2>"
            + table(f"Open alerts of {name}, newest first",
                    ["Alert", "What happened", "Raised", "Status", "Acknowledged", "Act"],
                    alert_rows(mine, "/alerts"), table_id=f"alerts-{n}")
            + intervention_form(gid, "/alerts") + "</section>"
        )  # fmt: skip
    if not alerts:
        parts.append('<p class="empty">No open alerts.</p>')
    return layout("Alerts", "".join(parts), nav="/alerts")
