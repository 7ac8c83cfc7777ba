"""Flag episodes and their outcomes: did acting on a flag help? (decision 0019). Pure.

An episode begins when a group is judged ``at_risk`` with none open (``watch`` never
opens one; ``at_risk`` → ``watch`` → ``at_risk`` stays one episode). At each later
judgement its outcome is decided by the first of:

- ``ended``: the group concluded or dissolved (a ``merged`` or ``ended`` intervention
  does that);
- ``went_dormant``: the group was judged dormant;
- ``recovered``: judged healthy, with a session held after the flag, within
  :data:`RECOVERY_PERIODS` cadence periods of the flag;
- ``recovered_late``: the same, later than that (not counted as ``recovered``).

Until then it is ``still_at_risk``. The first intervention logged between the flag and
the outcome (:func:`~projections.fold.handlers._intervened`) marks it "reached out".
Everything is decided at judgements the engine makes at properties of the event stream,
so live processing and a rebuild produce the same rows.
"""

from __future__ import annotations

from datetime import datetime

from projections.fold.envelope import Envelope
from projections.fold.state import Episode, GroupState
from projections.outputs.rows import iso
from projections.readmodel import tables as T
from projections.readmodel.batch import RowChange

RECOVERY_PERIODS = 3
INTERVENTION = "peerpulse.intervention.logged.v1"
OPEN = "still_at_risk"
STAGES = ("flagged", "reached_out", "recovered", "went_dormant", "ended")
"""The funnel exported as metrics (a ``stage`` label): flagged → reached out → recovered,
and the other two ways an episode closes."""


def reached(s: GroupState) -> bool:
    """Whether the open episode already had an intervention (call before applying one)."""
    return s.episode is not None and s.episode.intervention_at is not None


def after_intervention(s: GroupState, ev: Envelope, had: bool, out: list[RowChange]) -> None:
    """Rows for an applied intervention: the open episode's row, and "reached out" once."""
    e = s.episode
    if ev.type != INTERVENTION or e is None:
        return
    out.append(_row(s, e, OPEN, None))
    if not had and e.intervention_at is not None:
        out.append(_count(s.program_id, reached_out=1))


def judge(s: GroupState, level: str, out: list[RowChange]) -> None:
    """Open, or decide the outcome of, the group's flag episode at a judgement."""
    e = s.episode
    if e is None:
        if level == "at_risk" and s.status == "active" and s.now is not None:
            s.episodes += 1
            e = s.episode = Episode(s.episodes, s.now)
            out.append(_row(s, e, OPEN, None))
            out.append(_count(s.program_id, flagged=1, still_at_risk=1))
        return
    outcome = _outcome(s, e, level)
    if outcome is None:
        return
    s.episode = None
    out.append(_row(s, e, outcome, s.now))
    counts = {outcome: 1, OPEN: -1}
    if outcome == "recovered" and e.intervention_at is not None:
        counts["reached_out_recovered"] = 1
    out.append(_count(s.program_id, **counts))


def _outcome(s: GroupState, e: Episode, level: str) -> str | None:
    if s.status != "active":
        return "ended"
    if level == "dormant":
        return "went_dormant"
    held = s.last_held_at
    if level != "healthy" or held is None or held <= e.flagged_at or s.now is None:
        return None
    in_time = s.now <= e.flagged_at + RECOVERY_PERIODS * s.period
    return "recovered" if in_time else "recovered_late"


def _row(s: GroupState, e: Episode, outcome: str, at: datetime | None) -> RowChange:
    return RowChange(
        T.FLAG_EPISODES.name,
        (s.group_id, e.seq),
        {
            "program_id": s.program_id,
            "flagged_at": iso(e.flagged_at),
            "first_intervention_at": iso(e.intervention_at),
            "first_intervention_kind": e.intervention_kind,
            "first_intervention_by": e.intervention_by,
            "interventions": e.interventions,
            "outcome": outcome,
            "outcome_at": iso(at),
        },
    )


def _count(program_id: str, **deltas: int) -> RowChange:
    return RowChange(T.PROGRAM_EPISODES.name, (program_id,), deltas, op="incr")
