"""The pure :class:`Projector`: decoded events in partition order in, outputs out.

Outputs are group-health records (only when an assessment changes), alert intents per
docs/contract/ALERTS.md (deterministic ids) and read-model row changes. The live faust
agent and ``peerpulse rebuild`` run this same code, so they produce the same results.

Every group lives on its own timeline (decision 0013): it is judged at its own events and
at its due grid times (:mod:`projections.risk.schedule`). A group event at ``t`` first judges
the group at every due time up to ``t``, then is applied; a clock tick at ``T`` judges the
groups of its partition due at or before ``T``. Ticks never move a group's ``now``
otherwise, so how events and ticks interleave (fast or slow publishing, a partition clock
that ran ahead of a backfill) does not change any group's levels or alerts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from projections.fold.apply import advance, apply, apply_program
from projections.fold.envelope import TICK, Envelope, parse_time
from projections.fold.handlers import HANDLERS, PROGRAM_HANDLERS
from projections.fold.state import GroupState, ProgramState
from projections.outputs import alert_intents, episodes, rows
from projections.outputs.rollups import iso_week, rollup, trend
from projections.outputs.timeline import timeline
from projections.risk.assess import DEFAULT_POLICY, RiskPolicy, Timeless, assess, summarise
from projections.risk.schedule import Wakeups, due_at, grid_after
from projections.risk.signals import NARROW, NARROW_TYPES, NEUTRAL_TYPES, TIMELESS


@dataclass
class Outputs:
    """What a run of the projector produced, in order."""

    rows: list[rows.RowChange] = field(default_factory=list)
    health: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    processed: int = 0
    ignored: int = 0


QUIET_TYPES = (
    NARROW_TYPES  # the commitment events and session.scheduled
    | NEUTRAL_TYPES
    | {f"peerpulse.{t}.v1" for t in ("attendance.marked", "attendance.corrected")}
    | {"peerpulse.mentor.checked-in.v1"}
)
"""Events folded into the state but judged at the group's next grid time (or its next
other event, if sooner): keeps replay fast, and being a property of the group's own
timeline, keeps outputs deterministic."""


_NARROW_AT = {kind: tuple(TIMELESS.index(f) for f in touched) for kind, touched in NARROW.items()}


class Projector:
    """Keeps every group's and program's state and turns events into outputs."""

    def __init__(self, policy: RiskPolicy = DEFAULT_POLICY, health_records: bool = True) -> None:
        """``health_records=False``: skip building group-health topic records (a rebuild
        that publishes nothing); rows, alerts and states are unaffected."""
        self.policy, self.health_records = policy, health_records
        self.groups: dict[str, GroupState] = {}
        self.programs: dict[str, ProgramState] = {}
        self.program_partition: dict[str, int] = {}
        self.by_partition: dict[int, dict[str, GroupState]] = {}
        self.clock: dict[int, tuple[datetime, int]] = {}
        self.dirty: set[tuple[str, str]] = set()
        self.wakeups: dict[int, Wakeups] = {}
        self._seq = 0
        self._timeless: dict[str, tuple[Timeless | None, list, tuple[int, ...], Timeless]] = {}

    def run(self, events: Iterable[Envelope], out: Outputs | None = None) -> Outputs:
        """Process many events; returns the outputs (appended to ``out`` if given)."""
        out = out if out is not None else Outputs()
        for ev in events:
            self.process(ev, out)
        return out

    def process(self, ev: Envelope, out: Outputs) -> None:
        """Process one event (ignored if already applied or not for the projections)."""
        out.processed += 1
        if ev.type in HANDLERS:
            self._group_event(ev, out)
        elif ev.type == TICK:
            self._tick(ev, out)
        elif ev.type in PROGRAM_HANDLERS:
            self._program_event(ev, out)
        else:
            out.ignored += 1

    def adopt(self, state: GroupState) -> None:
        """Take over a restored group state (worker restart)."""
        self.groups[state.group_id] = state
        self.by_partition.setdefault(state.partition, {})[state.group_id] = state
        self._timeless.pop(state.group_id, None)
        self._seq = max(self._seq, state.seq + 1)
        try:
            due = state.due
        except AttributeError:  # pickled before groups had their own timeline
            due = grid_after(state.now) if state.now and state.status == "active" else None
        state.due = None
        self._wakeups(state.partition).schedule(state, due)

    def drop(self, partitions: Iterable[int]) -> None:
        """Forget every state made by ``partitions`` (a worker that no longer owns them);
        what was not stored yet is lost with them, so call this between batches."""
        gone = set(partitions)
        for part in gone:
            for group_id in self.by_partition.pop(part, {}):
                self.groups.pop(group_id, None)
                self._timeless.pop(group_id, None)
            self.wakeups.pop(part, None)
            self.clock.pop(part, None)
        for program_id in [k for k, v in self.program_partition.items() if v in gone]:
            del self.program_partition[program_id]
            self.programs.pop(program_id, None)
        self.dirty = {
            (kind, ident)
            for kind, ident in self.dirty
            if (kind == "group" and ident in self.groups)
            or (kind == "program" and ident in self.programs)
            or (kind == "clock" and int(ident) in self.clock)
        }

    def _wakeups(self, partition: int) -> Wakeups:
        w = self.wakeups.get(partition)
        if w is None:
            w = self.wakeups[partition] = Wakeups()
        return w

    def _group(self, ev: Envelope) -> GroupState:
        s = self.groups.get(ev.subject)
        if s is None:
            s = GroupState(ev.subject, partition=ev.partition, seq=self._seq)
            self._seq += 1
            self.groups[ev.subject] = s
            self.by_partition.setdefault(ev.partition, {})[ev.subject] = s
        return s

    def _group_event(self, ev: Envelope, out: Outputs) -> None:
        s = self._group(ev)
        if ev.version and ev.version <= s.last_version:
            out.ignored += 1
            return
        self._catch_up(s, ev.time, out)
        self.dirty.add(("group", s.group_id))  # before apply: a handler that raises midway
        reached = episodes.reached(s)
        apply(s, ev)  # leaves a changed state, which must be stored as a rebuild stores it
        episodes.after_intervention(s, ev, reached, out.rows)
        self._timeless_after(s.group_id, ev.type)
        s.program_id = s.program_id or str(ev.data.get("program_id") or "")
        out.rows.append(timeline(s, ev))
        for member_id in rows.touched_members(ev):
            row = rows.member(s, member_id)
            if row is not None:
                out.rows.append(row)
        alert_intents.member_alert(s, ev, out.alerts)
        if ev.type in QUIET_TYPES and s.assessment is not None:
            if s.status == "active":
                soon = grid_after(s.now)
                if s.due is None or soon < s.due:
                    self._wakeups(s.partition).schedule(s, soon)
            return
        if not self._assess(s, out):
            out.rows.append(rows.group_health(s))

    def _tick(self, ev: Envelope, out: Outputs) -> None:
        at = parse_time(ev.data["at"]) if ev.data.get("at") else ev.time
        last = self.clock.get(ev.partition)
        if last is not None and (at <= last[0] or (ev.version and ev.version <= last[1])):
            out.ignored += 1
            return
        self.clock[ev.partition] = (at, ev.version)
        self.dirty.add(("clock", str(ev.partition)))
        due = self._wakeups(ev.partition).take(at, self.groups)
        for s in due:
            self._catch_up(s, at, out)
        week = iso_week(at)
        if last is not None and iso_week(last[0]) == week:
            return  # the partition's clock entered this week earlier: groups carried over then
        ids = {s.group_id for s in due}
        for s in self.by_partition.get(ev.partition, {}).values():
            if (
                s.group_id not in ids
                and s.program_id
                and week > s.trend_week
                and (s.status == "active" or s.assessment is None)
            ):
                trend(s, s.level, week, out.rows)
                self.dirty.add(("group", s.group_id))  # its trend week moved: store it

    def _catch_up(self, s: GroupState, until: datetime, out: Outputs) -> None:
        """Judge the group at each of its due grid times up to ``until`` (inclusive); its
        state changes (``now``, ``due``) even when the assessment does not."""
        while s.due is not None and s.due <= until:
            self.dirty.add(("group", s.group_id))
            advance(s, s.due)
            self._assess(s, out)

    def _timeless_after(self, group_id: str, kind: str) -> None:
        """Keep what an applied event left valid of the group's timeless features: an entry
        is ``(summary, per-feature results, stale features, last summary)``, its summary
        None while the results of the features a :data:`~projections.risk.signals.NARROW`
        event touched are stale."""
        kept = self._timeless.get(group_id)
        if kept is None or kind in NEUTRAL_TYPES:
            return
        stale = _NARROW_AT.get(kind)
        if stale is None:
            del self._timeless[group_id]  # every timeless feature may change
        elif kept[0] is not None:
            self._timeless[group_id] = (None, kept[1], stale, kept[0])
        else:
            self._timeless[group_id] = (None, kept[1], kept[2] + stale, kept[3])

    def _timeless_reasons(self, s: GroupState) -> Timeless:
        """:func:`~projections.risk.assess.timeless_reasons` of the group, kept between events
        (they depend on the state alone): after a :data:`~projections.risk.signals.NARROW`
        event (over half of a typical stream) only the features it touches are recomputed."""
        kept = self._timeless.get(s.group_id)
        if kept is not None and kept[0] is not None:
            return kept[0]
        p = self.policy
        if kept is None:
            found = [feature(s, None, p) for feature in TIMELESS]
            summary = summarise(found, p)
        else:
            found, same = kept[1], True  # ours alone: updated in place
            for i in set(kept[2]):
                now = TIMELESS[i](s, None, p)
                same = same and now == found[i]
                found[i] = now
            summary = kept[3] if same else summarise(found, p)  # e.g. a commitment kept
        self._timeless[s.group_id] = (summary, found, (), summary)
        return summary

    def _program_event(self, ev: Envelope, out: Outputs) -> None:
        p = self.programs.get(ev.subject)
        if p is None:
            p = self.programs[ev.subject] = ProgramState(ev.subject)
        if ev.version and ev.version <= p.last_version:
            out.ignored += 1
            return
        self.dirty.add(("program", p.program_id))
        self.program_partition[p.program_id] = ev.partition
        apply_program(p, ev)
        out.rows.append(rows.program(p))

    def _assess(self, s: GroupState, out: Outputs) -> bool:
        """Judge one group at its ``now``; emit what changed. True if the health row was
        written."""
        timeless = self._timeless_reasons(s) if s.status == "active" else None
        a = assess(s, s.now, self.policy, timeless)
        self._wakeups(s.partition).schedule(s, due_at(s, s.now, self.policy, a))
        previous = s.level
        if s.program_id:
            week = iso_week(s.now)
            if week >= s.trend_week:
                trend(s, a.level, week, out.rows)
            rollup(s, "ended" if s.status != "active" else a.level, out.rows)
            episodes.judge(s, a.level, out.rows)
        if a.level != previous:
            s.transitions += 1
            s.level, s.level_since = a.level, s.now
            out.rows.append(rows.level_history(s, a, previous))
            alert_intents.level_alert(s, a, previous, out.alerts)
        if a == s.assessment:
            return False
        s.assessment = a
        self.dirty.add(("group", s.group_id))
        out.rows.append(rows.group_health(s))
        if self.health_records:
            out.health.append(alert_intents.health_record(s, a))
        return True
