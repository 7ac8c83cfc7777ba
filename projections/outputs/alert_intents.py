"""Alert intents (docs/contract/ALERTS.md) and group-health records: pure builders.

Ids are deterministic, ``"{group_id}:{kind}:{member_id or '-'}:{group event version}"``,
so a replay produces the same intents; ``time`` is event time, never the wall clock.
"""

from __future__ import annotations

from typing import Any

from projections.fold.envelope import Envelope
from projections.fold.state import GroupState
from projections.outputs.rows import iso
from projections.risk.assess import Assessment
from projections.risk.thresholds import AT_RISK, DORMANT, HEALTHY, WATCH

P = "peerpulse."
SOURCE = "peerpulse/projections"
_MEMBER_KINDS = {
    P + "member.lapsed.v1": "member-lapsed",
    P + "member.reengaged.v1": "member-reengaged",
}


def intent(s: GroupState, kind: str, member_id: str | None, data: dict[str, Any]) -> dict[str, Any]:
    """One alert intent as a CloudEvents structured-mode dict."""
    return {
        "specversion": "1.0",
        "id": f"{s.group_id}:{kind}:{member_id or '-'}:{s.last_version}",
        "source": SOURCE,
        "type": f"peerpulse.alert.{kind}.v1",
        "subject": s.group_id,
        "time": iso(s.now),
        "datacontenttype": "application/json",
        "data": {"program_id": s.program_id, "group_id": s.group_id, **data},
    }


def member_alert(s: GroupState, ev: Envelope, out: list[dict[str, Any]]) -> None:
    """Every MemberLapsed / MemberReengaged becomes an intent keyed by the lapse."""
    kind = _MEMBER_KINDS.get(ev.type)
    if kind is None:
        return
    member_id = ev.data["member_id"]
    data: dict[str, Any] = {"alert_key": f"lapse:{s.group_id}:{member_id}", "member_id": member_id}
    if kind == "member-lapsed":
        data["misses"] = ev.data.get("misses")
        data["last_seen"] = ev.data.get("last_seen")
    out.append(intent(s, kind, member_id, data))


def transition_kind(level: str, previous: str | None) -> str | None:
    """Which alert, if any, a level change calls for."""
    if level == AT_RISK and previous != AT_RISK:
        return "group-at-risk"
    if level == DORMANT and previous != DORMANT:
        return "group-dormant"
    if previous in (AT_RISK, DORMANT) and level in (HEALTHY, WATCH):
        return "group-recovered"
    if previous == WATCH and level == HEALTHY:  # closes an episode that eased to watch
        return "group-recovered"
    return None


def level_alert(s: GroupState, a: Assessment, previous: str | None, out: list) -> None:
    """An intent for entering at_risk or dormant, or recovering from them."""
    kind = transition_kind(a.level, previous)
    if kind is None:
        return
    out.append(
        intent(
            s,
            kind,
            None,
            {
                "alert_key": f"health:{s.group_id}",
                "level": a.level,
                "previous_level": previous,
                "score": a.score,
                "probability": a.probability,
                "reasons": a.reasons_dicts(),
            },
        )
    )


def health_record(s: GroupState, a: Assessment) -> dict[str, Any]:
    """The value published on the compacted group-health topic (key: group id)."""
    return {
        "group_id": s.group_id,
        "program_id": s.program_id,
        "status": s.status,
        "level": a.level,
        "score": a.score,
        "probability": a.probability,
        "reasons": a.reasons_dicts(),
        "level_since": iso(s.level_since),
        "assessed_at": iso(s.now),
        "version": s.last_version,
    }
