"""One simulated program through the real write side, in process: its public events.

:class:`Pipeline`: simulated ingest messages -> the ingest decoder and mapper (as
``consumers/ingest``) -> EngagementApp on in-memory (POPO) persistence, ticking with the
newest event time -> the relay's translator (``infra.contract.translate.to_wire``) ->
``projections.fold.envelope`` decode: the public events in notification order, with clock
ticks carried on to a horizon if asked. The detection benchmark feeds them to the
backtest engine (:mod:`projections.backtest`); the projection timeline tests and the risk
fitting use them too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

from consumers.ingest import mapper
from domain.application import EngagementApp
from domain.errors import DomainError
from domain.ids import derive_id
from infra.contract.inbound.decoder import Command, decode
from infra.contract.translate import is_published, to_wire
from infra.simulator import Simulation
from infra.vault import MemoryVault
from projections.fold import envelope as wire

TICK_EVERY = timedelta(hours=6)


class Pipeline:
    """The in-process ingest -> event store -> relay path for one simulation."""

    def __init__(self, app: EngagementApp | None = None) -> None:
        """``app``: the application to ingest into (default: in memory, POPO)."""
        self.app = app or EngagementApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
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


def _slot(t: datetime) -> int:
    return int(t.timestamp() // TICK_EVERY.total_seconds())


def group_key(sim: Simulation, external: str) -> str:
    """The projection's group id (the subject on the wire) of a simulated group."""
    return str(derive_id("group", sim.source, external))
