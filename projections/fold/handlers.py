"""One small function per public event type, folding its ``data`` into the state.

Used only through :func:`projections.fold.apply.apply`; each handler receives the state, the
event's ``data`` and its time, and mutates the state. Member ids are interned: one string
object per member however many sessions and commitments mention them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from sys import intern
from typing import Any

from projections.fold.envelope import parse_time
from projections.fold.state import (
    COMMITMENT_WINDOWS,
    RECENT_OUTCOMES,
    RECENT_SESSIONS,
    GroupState,
    MemberState,
    ProgramState,
    SessionRecord,
)

Data = Mapping[str, Any]
STATUSES = ("present", "absent", "excused")


def _formed(s: GroupState, d: Data, at: datetime) -> None:
    s.program_id = str(d.get("program_id") or s.program_id)
    s.name = d.get("name") or s.name
    s.cadence = d.get("cadence") or s.cadence
    s.coordinator_id = d.get("coordinator_id")
    s.formed_at = s.formed_at or at


def _details_amended(s: GroupState, d: Data, at: datetime) -> None:
    """The real details of a group ingest had formed provisionally (roster before its
    ``group.formed``): its name, cadence and coordinator replace the placeholders."""
    s.name = d.get("name") or s.name
    s.cadence = d.get("cadence") or s.cadence
    s.coordinator_id = d.get("coordinator_id")


def _joined(s: GroupState, d: Data, at: datetime) -> None:
    member, role = intern(d["member_id"]), d.get("role", "peer")
    m = s.members.get(member)
    if m is None:
        s.members[member] = MemberState(role=role, joined_at=at)
    else:
        m.role, m.left_at = role, None
    if role == "facilitator" and s.facilitator_id is None:
        s.facilitator_id, s.facilitator_left = member, False


def _role_changed(s: GroupState, d: Data, at: datetime) -> None:
    """The roster gave a provisionally joined member their real role."""
    member, role = intern(d["member_id"]), d["role"]
    m = s.members.get(member)
    if m is None:
        return
    m.role = role
    if role == "facilitator" and s.facilitator_id is None:
        s.facilitator_id, s.facilitator_left = member, False
    elif role != "facilitator" and s.facilitator_id == member:
        others = [k for k, v in s.active_members().items() if v.role == "facilitator"]
        s.facilitator_id = others[0] if others else None


def _left(s: GroupState, d: Data, at: datetime) -> None:
    m = s.members.get(d["member_id"])
    if m is not None:
        m.left_at, m.lapsed = at, False
    if s.facilitator_id == d["member_id"]:
        others = [k for k, v in s.active_members().items() if v.role == "facilitator"]
        s.facilitator_id = others[0] if others else None
        s.facilitator_left = s.facilitator_id is None


def _scheduled(s: GroupState, d: Data, at: datetime) -> None:
    s.scheduled[d["session_id"]] = parse_time(d.get("scheduled_for") or at)


def _outcome(s: GroupState, what: str) -> None:
    s.outcomes.append(what)
    del s.outcomes[:-RECENT_OUTCOMES]


def _held(s: GroupState, d: Data, at: datetime) -> None:
    s.scheduled.pop(d["session_id"], None)
    s.held_count += 1
    taken = d.get("attendance_taken", True)
    rec = SessionRecord(d["session_id"], at, s.held_count, attendance_taken=taken)
    for status in STATUSES:
        for member in d.get(status) or ():
            _count(s, rec, member, status, at)
    s.recent.append(rec)
    del s.recent[:-RECENT_SESSIONS]
    _outcome(s, "held")
    if s.last_held_at is None or at > s.last_held_at:
        s.last_held_at = at
    _move_awaiting(s, d["session_id"], rec.ordinal)
    _prune_commitments(s)


def _move_awaiting(s: GroupState, session_id: str, ordinal: int) -> None:
    """Commitments made for this session before its roll call arrived join its window."""
    for cid in [c for c, (sid, _, _) in s.awaiting.items() if sid == session_id]:
        _, n, outcome = s.awaiting.pop(cid)
        _move(s, cid, n, outcome, ordinal)


def _move(s: GroupState, cid: str, n: int, outcome: str | None, ordinal: int) -> None:
    """One commitment counted in window ``n`` (made, and its outcome if settled) moves to
    window ``ordinal``."""
    if n != ordinal:
        old, new = s.windows.get(n), s.window(ordinal)
        if old is not None:
            old.made = max(0, old.made - 1)
        new.made += 1
        if outcome is not None:
            if old is not None:
                setattr(old, outcome, max(0, getattr(old, outcome) - 1))
            setattr(new, outcome, getattr(new, outcome) + 1)
    if outcome is None and cid in s.open_commitments:
        s.open_commitments[cid] = (s.open_commitments[cid][0], ordinal)


def _count(s: GroupState, rec: SessionRecord, member: str, status: str, at: datetime) -> None:
    member = intern(member)
    rec.add(status, member)
    m = s.members.get(member)
    if m is not None:
        setattr(m, status, getattr(m, status) + 1)
        if status == "present" and (m.last_seen is None or rec.at > m.last_seen):
            m.last_seen = rec.at


def _cancelled(s: GroupState, d: Data, at: datetime) -> None:
    s.scheduled.pop(d["session_id"], None)
    s.cancelled_count += 1
    s.last_cancelled_at = at
    _outcome(s, "cancelled")


def _find_session(s: GroupState, session_id: str) -> SessionRecord | None:
    for rec in reversed(s.recent):
        if rec.session_id == session_id:
            return rec
    return None


def _marked(s: GroupState, d: Data, at: datetime) -> None:
    rec = _find_session(s, d["session_id"])
    if rec is None and d["session_id"] in s.scheduled:
        _held(s, {"session_id": d["session_id"]}, at)
        rec = s.recent[-1]
    if rec is None:
        return
    member = d["member_id"]
    m = s.members.get(member)
    for status in STATUSES:
        if rec.discard(status, member) and m is not None:
            setattr(m, status, max(0, getattr(m, status) - 1))
    _count(s, rec, member, d["status"], at)


def _made(s: GroupState, d: Data, at: datetime) -> None:
    rec = _find_session(s, d["session_id"]) if d.get("session_id") else None
    n = rec.ordinal if rec is not None else s.held_count
    s.window(n).made += 1
    s.open_commitments[d["commitment_id"]] = (intern(d["member_id"]), n)
    if rec is None:  # its session not held yet, or none named yet (settled first, 0015)
        s.awaiting[d["commitment_id"]] = (d.get("session_id") or "", n, None)
    s.commitments_made += 1
    m = s.members.get(d["member_id"])
    if m is not None:
        m.made += 1


def _amended(s: GroupState, d: Data, at: datetime) -> None:
    """A commitment gets its session: it moves to that session's window, as if made there
    (with its outcome, if it was settled first); if the session is not held yet, it moves
    when the session is (:func:`_move_awaiting`)."""
    cid = d["commitment_id"]
    entry = s.open_commitments.get(cid)
    rec = _find_session(s, d["session_id"]) if d.get("session_id") else None
    if cid in s.awaiting:  # counted where it was first heard of: moves to its session
        _, n, outcome = s.awaiting[cid]
        if rec is None:
            s.awaiting[cid] = (d.get("session_id") or "", n, outcome)
        else:
            del s.awaiting[cid]
            _move(s, cid, n, outcome, rec.ordinal)
        return
    if entry is None or rec is None or rec.ordinal == entry[1]:
        return
    member, n = entry
    if n in s.windows:
        s.windows[n].made = max(0, s.windows[n].made - 1)
    s.window(rec.ordinal).made += 1
    s.open_commitments[cid] = (member, rec.ordinal)


def _resolver(outcome: str) -> Callable[[GroupState, Data, datetime], None]:
    def resolve(s: GroupState, d: Data, at: datetime) -> None:
        member, n = s.open_commitments.pop(d["commitment_id"], (d.get("member_id"), None))
        waiting = s.awaiting.get(d["commitment_id"])
        if waiting is not None:
            s.awaiting[d["commitment_id"]] = (waiting[0], waiting[1], outcome)
        if n is not None and n in s.windows:
            w = s.windows[n]
            setattr(w, outcome, getattr(w, outcome) + 1)
        m = s.members.get(member) if member else None
        if m is not None:
            setattr(m, outcome, getattr(m, outcome) + 1)

    return resolve


def _prune_commitments(s: GroupState) -> None:
    oldest = s.held_count - COMMITMENT_WINDOWS
    for n in [n for n in s.windows if n < oldest]:
        del s.windows[n]
    stale = [c for c, (_, n) in s.open_commitments.items() if n < oldest]
    for c in stale:
        del s.open_commitments[c]
    for c in [c for c, (_, n, _) in s.awaiting.items() if n < oldest]:
        del s.awaiting[c]


def _lapse(flag: bool) -> Callable[[GroupState, Data, datetime], None]:
    def mark(s: GroupState, d: Data, at: datetime) -> None:
        m = s.members.get(d["member_id"])
        if m is not None:
            m.lapsed = flag

    return mark


def _paused(s: GroupState, d: Data, at: datetime) -> None:
    s.paused_until, s.pause_reason = parse_time(d["until"]), d.get("reason") or ""


def _resumed(s: GroupState, d: Data, at: datetime) -> None:
    s.paused_until, s.resumed_at = None, at


def _ended(status: str) -> Callable[[GroupState, Data, datetime], None]:
    def end(s: GroupState, d: Data, at: datetime) -> None:
        s.status = status

    return end


def _mentor(s: GroupState, d: Data, at: datetime) -> None:
    s.last_mentor_check_in = at


def _intervened(s: GroupState, d: Data, at: datetime) -> None:
    """A coordinator acted: counted in the open flag episode if it came after the flag
    (the first one is the episode's "reached out"; decision 0019)."""
    e = s.episode
    if e is None or at < e.flagged_at:
        return
    e.interventions += 1
    if e.intervention_at is None:
        e.intervention_at, e.intervention_kind = at, d["kind"]
        e.intervention_by = d.get("coordinator_id")


P = "peerpulse."
HANDLERS: dict[str, Callable[[GroupState, Data, datetime], None]] = {
    P + "group.formed.v1": _formed,
    P + "group.details-amended.v1": _details_amended,
    P + "member.joined.v1": _joined,
    P + "member.role-changed.v1": _role_changed,
    P + "member.left.v1": _left,
    P + "session.scheduled.v1": _scheduled,
    P + "session.held.v1": _held,
    P + "session.cancelled.v1": _cancelled,
    P + "attendance.marked.v1": _marked,
    P + "attendance.corrected.v1": _marked,
    P + "commitment.made.v1": _made,
    P + "commitment.amended.v1": _amended,
    P + "commitment.kept.v1": _resolver("kept"),
    P + "commitment.missed.v1": _resolver("missed"),
    P + "commitment.dropped.v1": _resolver("dropped"),
    P + "member.lapsed.v1": _lapse(True),
    P + "member.reengaged.v1": _lapse(False),
    P + "group.paused.v1": _paused,
    P + "group.resumed.v1": _resumed,
    P + "mentor.checked-in.v1": _mentor,
    P + "intervention.logged.v1": _intervened,
    P + "group.concluded.v1": _ended("concluded"),
    P + "group.dissolved.v1": _ended("dissolved"),
}
"""Group event types the state understands; others are counted and ignored."""


def _launched(p: ProgramState, d: Data, at: datetime) -> None:
    _program_details(p, d, at)
    p.launched_at = p.launched_at or at


def _program_details(p: ProgramState, d: Data, at: datetime) -> None:
    """A program's name, organisation, cadence and lapse policy (launched or amended)."""
    p.name, p.organisation = d.get("name", ""), d.get("organisation", "")
    p.cadence, p.lapse_after = d.get("cadence", ""), int(d.get("lapse_after", 3))


def _coordinator(assigned: bool) -> Callable[[ProgramState, Data, datetime], None]:
    def change(p: ProgramState, d: Data, at: datetime) -> None:
        (p.coordinators.add if assigned else p.coordinators.discard)(d["coordinator_id"])

    return change


def _lead(p: ProgramState, d: Data, at: datetime) -> None:
    p.lead_coordinator_id = d["coordinator_id"]


def _lapse_policy(p: ProgramState, d: Data, at: datetime) -> None:
    p.lapse_after = int(d["lapse_after"])


PROGRAM_HANDLERS: dict[str, Callable[[ProgramState, Data, datetime], None]] = {
    P + "program.launched.v1": _launched,
    P + "program.details-amended.v1": _program_details,
    P + "program.coordinator-assigned.v1": _coordinator(True),
    P + "program.coordinator-unassigned.v1": _coordinator(False),
    P + "program.lead-coordinator-set.v1": _lead,
    P + "program.lapse-policy-changed.v1": _lapse_policy,
}
"""Program event types the roll-ups understand."""

NOT_PROJECTED: dict[str, str] = {
    P + "member.registered.v1": "a member's identity (name and contact stay sealed in the"
    " vault); groups see members only through their roster events",
    P + "member.forgotten.v1": "the member's personal data was crypto-shredded; projections"
    " hold member ids only, never a name or contact",
}
"""Public event types that change no projection state, each with the reason. Every type
in the public catalogue is in exactly one of :data:`HANDLERS`, :data:`PROGRAM_HANDLERS`,
this, or is the clock tick (tested)."""
