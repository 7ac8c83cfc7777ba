"""Replays one simulated program through the real pipeline, in process, and records flags.

:class:`Pipeline`: simulated ingest messages -> the ingest decoder and mapper (as
``consumers/ingest``) -> EngagementApp on in-memory (POPO) persistence, ticking with the
newest event time -> the relay's translator (``infra.contract.translate.to_wire``) ->
``projections.fold.envelope`` decode: the public events in notification order, with clock ticks
carried on past the window so dying groups can reach dormancy (also used by the
projection timeline tests). :class:`Replay` feeds them to the
:class:`~projections.engine.Projector` and records its level changes (at the times they
were judged); alongside, the naive rule "no session for 2 cadence periods" sees the same
decoded wire events.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from consumers.ingest import mapper
from consumers.ingest.decoder import Command, decode
from domain.application import EngagementApp
from domain.errors import DomainError
from domain.ids import derive_id
from infra.contract.translate import is_published, to_wire
from infra.simulator import Simulation
from infra.vault import MemoryVault
from projections.engine import Outputs, Projector
from projections.fold import envelope as wire
from projections.readmodel.tables import LEVEL_HISTORY

TICK_EVERY = timedelta(hours=6)
BATCH = 250
FLAGGED = ("at_risk", "dormant")


@dataclass
class Flags:
    """Per group id: level changes ``(time, level)`` of the model and of the naive rule."""

    model: dict[str, list[tuple[datetime, str]]] = field(default_factory=dict)
    naive: dict[str, list[tuple[datetime, str]]] = field(default_factory=dict)
    rejected: int = 0
    events: int = 0


class Naive:
    """ "No session for 2 cadence periods" — flagged until the group meets again."""

    def __init__(self, periods: float = 2.0) -> None:
        self.periods = periods
        self.quiet_since: dict[str, datetime] = {}
        self.period: dict[str, timedelta] = {}

    def see(self, ev: wire.Envelope, flags: Flags) -> None:
        """Update from one decoded wire event."""
        if ev.type == "peerpulse.group.formed.v1":
            days = {"weekly": 7, "fortnightly": 14, "monthly": 30}[ev.data["cadence"]]
            self.period[ev.subject] = timedelta(days=days)
            self.quiet_since[ev.subject] = ev.time
        elif ev.type == "peerpulse.session.held.v1" and ev.subject in self.quiet_since:
            self.quiet_since[ev.subject] = max(self.quiet_since[ev.subject], ev.time)
            self._set(flags, ev.subject, ev.time, "healthy")
        elif ev.type == wire.TICK:
            for group, since in self.quiet_since.items():
                if ev.time - since >= self.periods * self.period[group]:
                    self._set(flags, group, ev.time, "at_risk")

    @staticmethod
    def _set(flags: Flags, group: str, at: datetime, level: str) -> None:
        changes = flags.naive.setdefault(group, [])
        if (changes[-1][1] if changes else "healthy") != level:
            changes.append((at, level))


class Pipeline:
    """The in-process ingest -> event store -> relay path for one simulation."""

    def __init__(self) -> None:
        self.app = EngagementApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
                                 vault=MemoryVault())  # fmt: skip
        self.position, self.programs, self.rejected = 0, {}, 0

    def events(self, sim: Simulation, horizon: datetime) -> Iterator[wire.Envelope]:
        """Ingest every message, tick on to ``horizon``; the decoded public events, in
        notification order, as they are recorded."""
        now = sim.end + timedelta(days=1)
        window: list[Command] = []
        for message in sim.messages:
            command = decode(json.dumps(message).encode(), None, now)
            if not isinstance(command, Command):
                self.rejected += 1
            elif window and _slot(command.occurred_at) != _slot(window[0].occurred_at):
                self._ingest(window)
                window = [command]
                if self.app.recorder.max_notification_id() - self.position > 2000:
                    yield from self._published()
            else:
                window.append(command)
        self._ingest(window)
        t = window[-1].occurred_at if window else sim.end
        while t < horizon:
            t += TICK_EVERY
            self.app.tick(t)
        yield from self._published()

    def _ingest(self, commands: list[Command]) -> None:
        """One 6-hour slot of messages: tick to its first, then apply all in one batch."""
        if not commands:
            return
        self.app.tick(commands[0].occurred_at)
        with self.app.batch():
            for command in commands:
                try:
                    mapper.apply(self.app, command)
                except DomainError:
                    self.rejected += 1

    def _published(self) -> Iterator[wire.Envelope]:
        while batch := self.app.recorder.select_notifications(self.position + 1, 1000):
            for n in batch:
                event = self.app.mapper.to_domain_event(n)
                if not is_published(event):
                    continue
                if type(event).__qualname__ == "Group.Formed":
                    self.programs[event.originator_id] = event.program_id
                record = to_wire(event, n.id, program_of=self.programs.__getitem__)
                yield wire.decode(record.value, record.headers)
            self.position = batch[-1].id


class Replay:
    """The pipeline for one simulation, projected, with the naive rule beside it."""

    def __init__(self) -> None:
        self.pipeline, self.projector = Pipeline(), Projector()
        self.naive, self.flags = Naive(), Flags()

    def run(self, sim: Simulation, horizon: datetime) -> Flags:
        """Ingest, tick on to ``horizon``, project; returns the flags."""
        out = Outputs()
        for ev in self.pipeline.events(sim, horizon):
            self.projector.process(ev, out)
            self.naive.see(ev, self.flags)
            if len(out.rows) > 5000:
                self._observe(out)
                out = Outputs(processed=out.processed)
        self._observe(out)
        self.flags.events, self.flags.rejected = out.processed, self.pipeline.rejected
        return self.flags

    def _observe(self, out: Outputs) -> None:
        """Level changes, stamped with the time the group was judged at."""
        for row in out.rows:
            if row.table == LEVEL_HISTORY.name:
                changes = self.flags.model.setdefault(row.key[0], [])
                changes.append((wire.parse_time(row.values["at"]), row.values["level"]))


def _slot(t: datetime) -> int:
    return int(t.timestamp() // TICK_EVERY.total_seconds())


def group_key(sim: Simulation, external: str) -> str:
    """The projection's group id (the subject on the wire) of a simulated group."""
    return str(derive_id("group", sim.source, external))
