"""Turn read-model rows and alert objects into the dicts :mod:`api.schemas` describes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from api.ports import AlertView

LEVELS = ("healthy", "watch", "at_risk", "dormant")


def _json(text: Any, default: Any) -> Any:
    if not isinstance(text, str) or not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def program(row: dict[str, Any]) -> dict[str, Any]:
    """A program roll-up row with its level counts grouped."""
    levels = {level: int(row.get(level) or 0) for level in LEVELS}
    keep = ("program_id", "name", "organisation", "cadence", "lapse_after", "coordinators",
            "launched_at")  # fmt: skip
    return {**{k: row.get(k) for k in keep}, "levels": levels,
            "ended": int(row.get("ended") or 0), "groups": sum(levels.values())}  # fmt: skip


def reasons(text: Any) -> list[dict[str, Any]]:
    """Reasons JSON as a list of ``{code, text, weight}``, strongest first."""
    found = [r for r in _json(text, []) if isinstance(r, dict) and "text" in r]
    out = [{"code": str(r.get("code", "")), "text": str(r["text"]),
            "weight": float(r.get("weight") or 0)} for r in found]  # fmt: skip
    return sorted(out, key=lambda r: -r["weight"])


def group(row: dict[str, Any]) -> dict[str, Any]:
    """A group-health row with parsed reasons and the top one's text."""
    out = {k: v for k, v in row.items() if k not in ("reasons", "version")}
    out["reasons"] = reasons(row.get("reasons"))
    out["top_reason"] = out["reasons"][0]["text"] if out["reasons"] else None
    return out


def timeline(items: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Timeline rows split into sessions, attendance marks, commitments and milestones."""
    out: dict[str, list[dict[str, Any]]] = {
        "sessions": [],
        "attendance": [],
        "commitments": [],
        "milestones": [],
    }
    for row in items:
        detail = _json(row.get("detail"), {})
        detail = detail if isinstance(detail, dict) else {}
        if row.get("kind") == "session":
            out["sessions"].append({
                "session_id": row["item_id"], "status": row.get("status"), "at": row.get("at"),
                "present": detail.get("present") or [], "absent": detail.get("absent") or [],
                "excused": detail.get("excused") or [],
                "attendance_taken": detail.get("attendance_taken"), "reason": detail.get("reason"),
            })  # fmt: skip
            continue
        item = {
            "item_id": row["item_id"],
            "kind": row.get("kind"),
            "status": row.get("status"),
            "at": row.get("at"),
            "member_id": row.get("member_id"),
            "detail": detail,
        }
        key = {"attendance": "attendance", "commitment": "commitments"}.get(row.get("kind") or "")
        out[key or "milestones"].append(item)
    return out


def level_change(row: dict[str, Any]) -> dict[str, Any]:
    """A level-history row with parsed reasons."""
    keep = ("seq", "at", "level", "previous_level", "score")
    return {**{k: row.get(k) for k in keep}, "reasons": reasons(row.get("reasons"))}


def member(row: dict[str, Any], profile: Any) -> dict[str, Any]:
    """A member-engagement row, its lapse status and (if known) the member's name."""
    forgotten = bool(getattr(profile, "forgotten", False))
    name = None if forgotten else getattr(profile, "display_name", None)
    pseudonym = None if forgotten else getattr(profile, "pseudonym", None)
    status = "left" if row.get("left_at") else "lapsed" if row.get("lapsed") else "active"
    counts = {k: int(row.get(k) or 0) for k in ("present", "absent", "excused")}
    commitments = {f"commitments_{k}": int(row.get(k) or 0)
                   for k in ("made", "kept", "missed", "dropped")}  # fmt: skip
    return {"member_id": row["member_id"], "display_name": name, "pseudonym": pseudonym,
            "forgotten": forgotten,
            "role": row.get("role"), "status": status, "joined_at": row.get("joined_at"),
            "left_at": row.get("left_at"), "last_seen": row.get("last_seen"),
            **counts, **commitments}  # fmt: skip


def alert(a: AlertView) -> dict[str, Any]:
    """An alert (:class:`api.ports.AlertView`) as JSON-ready data."""
    keep = ("alert_id", "alert_key", "kind", "program_id", "group_id", "member_id", "status",
            "acknowledged_by", "ack_comment", "detail")  # fmt: skip
    times = ("raised_at", "updated_at", "escalate_at", "resolved_at", "snoozed_until")
    return {**{k: getattr(a, k) for k in keep}, **{k: _iso(getattr(a, k)) for k in times},
            "severity": a.severity}  # fmt: skip
