"""Read-model row changes (:class:`~projections.readmodel.batch.RowChange`) built from
projection state: pure, no SQL. The writer coalesces a batch of them.
"""

from __future__ import annotations

import json
from datetime import datetime

from projections.fold.envelope import Envelope
from projections.fold.state import GroupState, ProgramState
from projections.readmodel import tables as T
from projections.readmodel.batch import RowChange
from projections.risk.assess import Assessment

_compact = json.JSONEncoder(separators=(",", ":")).encode


def iso(t: datetime | None) -> str | None:
    """A timestamp as stored in the read model (memoised: the same few session, join and
    tick times are formatted over and over)."""
    if t is None:
        return None
    hit = _ISO.get(t)
    if hit is not None and hit[0] is t.tzinfo:
        return hit[1]
    if len(_ISO) >= 65536:
        _ISO.clear()
    text = t.isoformat()
    _ISO[t] = (t.tzinfo, text)
    return text


_ISO: dict[datetime, tuple[object, str]] = {}
"""Equal instants with other UTC offsets are equal keys: the offset object must match too."""


def reasons_json(a: Assessment) -> str:
    """Reasons as stored: a JSON list of ``{code, text, weight}``, largest contribution
    (log-odds of dormancy) first (memoised: a group's reasons often outlive a change of
    its probability)."""
    hit = _REASONS.get(a.reasons)
    if hit is None:
        if len(_REASONS) >= 65536:
            _REASONS.clear()
        hit = _REASONS[a.reasons] = _compact(a.reasons_dicts())
    return hit


_REASONS: dict[tuple, str] = {}


def group_health(s: GroupState) -> RowChange:
    """The group's current health row."""
    a: Assessment = s.assessment  # type: ignore[assignment]
    return RowChange(
        T.GROUP_HEALTH.name,
        (s.group_id,),
        {
            "program_id": s.program_id,
            "name": s.name,
            "cadence": s.cadence,
            "coordinator_id": s.coordinator_id,
            "status": s.status,
            "members": s.active_count(),
            "level": a.level,
            "score": a.score,
            "probability": a.probability,
            "reasons": reasons_json(a),
            "level_since": iso(s.level_since),
            "last_session_at": iso(s.last_held_at),
            "sessions_held": s.held_count,
            "sessions_cancelled": s.cancelled_count,
            "paused_until": iso(s.paused_until),
            "updated_at": iso(s.now),
            "version": s.last_version,
        },
    )


def level_history(s: GroupState, a: Assessment, previous: str | None) -> RowChange:
    """One level transition of a group."""
    return RowChange(
        T.LEVEL_HISTORY.name,
        (s.group_id, s.transitions),
        {
            "program_id": s.program_id,
            "at": iso(s.now),
            "level": a.level,
            "previous_level": previous,
            "score": a.score,
            "probability": a.probability,
            "reasons": reasons_json(a),
            "version": s.last_version,
        },
    )


def rollup_count(program_id: str, column: str, delta: int) -> RowChange:
    """Move one group into (or out of) a level column of its program's roll-up."""
    return RowChange(T.PROGRAM_ROLLUP.name, (program_id,), {column: delta}, op="incr")


def trend_count(program_id: str, week: str, level: str, delta: int) -> RowChange:
    """Count one group at ``level`` (or stop counting it) in a program's ISO week."""
    return RowChange(T.WEEKLY_TREND.name, (program_id, week, level), {"groups": delta}, op="incr")


def program(p: ProgramState) -> RowChange:
    """The descriptive columns of a program's roll-up row."""
    return RowChange(
        T.PROGRAM_ROLLUP.name,
        (p.program_id,),
        {
            "name": p.name,
            "organisation": p.organisation,
            "cadence": p.cadence,
            "lapse_after": p.lapse_after,
            "coordinators": len(p.coordinators),
            "launched_at": iso(p.launched_at),
        },
    )


def member(s: GroupState, member_id: str) -> RowChange | None:
    """One member's engagement row in one group (None for a member never on the roster)."""
    m = s.members.get(member_id)
    if m is None:
        return None
    return RowChange(
        T.MEMBER_ENGAGEMENT.name,
        (s.group_id, member_id),
        {
            "program_id": s.program_id,
            "role": m.role,
            "joined_at": iso(m.joined_at),
            "left_at": iso(m.left_at),
            "present": m.present,
            "absent": m.absent,
            "excused": m.excused,
            "last_seen": iso(m.last_seen),
            "lapsed": int(m.lapsed),
            "made": m.made,
            "kept": m.kept,
            "missed": m.missed,
            "dropped": m.dropped,
        },
    )


def touched_members(ev: Envelope) -> list[str]:
    """Members whose engagement row an event may change."""
    d = ev.data
    if "member_id" in d:
        return [d["member_id"]]
    return [m for k in ("present", "absent", "excused") for m in d.get(k) or ()]
