"""Group-page timeline rows (sessions, attendance, commitments, milestones): pure."""

from __future__ import annotations

import json

from projections.fold.envelope import Envelope
from projections.fold.state import GroupState
from projections.outputs.rows import RowChange, iso
from projections.readmodel import tables as T

P = "peerpulse."
_COMMITMENT_OUTCOMES = {
    P + "commitment.kept.v1": "kept",
    P + "commitment.missed.v1": "missed",
    P + "commitment.dropped.v1": "dropped",
}
AMENDED = P + "commitment.amended.v1"
_compact = json.JSONEncoder(separators=(",", ":")).encode
_lenient = json.JSONEncoder(default=str).encode
_quote = json.encoder.encode_basestring_ascii


def commitment_detail(session_id: object, due: object) -> str:
    """``json.dumps({"session_id": session_id, "due": due})``, built directly for the usual
    strings and nulls: a commitment row is written per commitment event, and the encoder's
    set-up per call cost more than the rest of the row."""
    if (session_id is None or type(session_id) is str) and (due is None or type(due) is str):
        sid = "null" if session_id is None else _quote(session_id)
        return f'{{"session_id": {sid}, "due": {"null" if due is None else _quote(due)}}}'
    return json.dumps({"session_id": session_id, "due": due})


def _row(s: GroupState, item: str, **values: object) -> RowChange:
    return RowChange(T.GROUP_TIMELINE.name, (s.group_id, item), values)


def _session(s: GroupState, ev: Envelope) -> RowChange:
    d, sid = ev.data, ev.data["session_id"]
    rec = next((r for r in reversed(s.recent) if r.session_id == sid), None)
    if ev.type.endswith("scheduled.v1"):
        return _row(s, sid, kind="session", status="scheduled", at=d.get("scheduled_for"))
    if ev.type.endswith("cancelled.v1"):
        detail = json.dumps({"reason": d.get("reason")})
        return _row(s, sid, kind="session", status="cancelled", at=iso(ev.time), detail=detail)
    if rec is None:
        detail = json.dumps({k: d.get(k) for k in ("member_id", "status")})
        return _row(
            s,
            f"attendance:{ev.version}",
            kind="attendance",
            at=iso(ev.time),
            member_id=d.get("member_id"),
            status=d.get("status"),
            detail=detail,
        )
    lists = {k: sorted(getattr(rec, k)) for k in ("present", "absent", "excused")}
    lists["attendance_taken"] = rec.attendance_taken
    return _row(
        s,
        sid,
        kind="session",
        status="held",
        at=iso(rec.at),
        present=len(rec.present),
        absent=len(rec.absent),
        excused=len(rec.excused),
        detail=_compact(lists),
        version=ev.version,
    )


def _commitment(s: GroupState, ev: Envelope) -> RowChange:
    d = ev.data
    outcome = _COMMITMENT_OUTCOMES.get(ev.type)
    if outcome is not None:
        return _row(
            s,
            d["commitment_id"],
            kind="commitment",
            status=outcome,
            member_id=d.get("member_id"),
            version=ev.version,
        )
    detail = commitment_detail(d.get("session_id"), d.get("due"))
    made = {} if ev.type == AMENDED else {"status": "made", "at": iso(ev.time)}
    return _row(
        s,
        d["commitment_id"],
        kind="commitment",
        **made,  # an amendment replaces the details; status and time stay
        member_id=d.get("member_id"),
        detail=detail,
        version=ev.version,
    )


def _milestone(s: GroupState, ev: Envelope) -> RowChange:
    name = ev.type.removeprefix(P).removesuffix(".v1")
    detail = {k: v for k, v in ev.data.items() if k != "program_id"}
    return _row(
        s,
        f"{name}:{ev.version}",
        kind=name,
        at=iso(ev.time),
        member_id=ev.data.get("member_id"),
        detail=_lenient(detail),
        version=ev.version,
    )


def timeline(s: GroupState, ev: Envelope) -> RowChange:
    """The timeline row an applied group event adds or updates."""
    if ev.type.startswith((P + "session.", P + "attendance.")):
        return _session(s, ev)
    if ev.type.startswith(P + "commitment."):
        return _commitment(s, ev)
    return _milestone(s, ev)
