"""Decode → Projector → coalesced batch → read model: the loop shared by worker and rebuild.

Usage: ``handle`` records in partition order, ``drain`` the alert intents and health
records to publish, publish them, then ``commit``: the rows, the positions reached and
the changed states land in one transaction, so an interruption repeats work (harmlessly:
deterministic ids, version checks) but never loses it.
"""

from __future__ import annotations

import io
import logging
import pickle
from collections.abc import Iterable
from typing import Any

from projections.engine import Outputs, Projector
from projections.fold.envelope import UndecodableEvent, decode
from projections.readmodel.batch import Batch
from projections.readmodel.store import ReadModel
from projections.risk.thresholds import DEFAULT_POLICY, RiskPolicy

log = logging.getLogger(__name__)

MOVED_MODULES = {
    "projections.model": "projections.fold.state",
    "projections.policy": "projections.risk.thresholds",
    "projections.risk": "projections.risk.assess",
}
"""Where the classes of pickled projector states live since projections was split into
rooms: states stored before the move still restore."""


class _StateUnpickler(pickle.Unpickler):
    """Unpickles projector states, finding classes under their module's new name."""

    def find_class(self, module: str, name: str) -> Any:
        return super().find_class(MOVED_MODULES.get(module, module), name)


def load_state(body: bytes) -> Any:
    """A stored projector state (group, program or partition clock)."""
    return _StateUnpickler(io.BytesIO(body)).load()


class ProjectionRunner:
    """One projector bound to one read model and one events topic."""

    def __init__(
        self,
        readmodel: ReadModel,
        topic: str,
        policy: RiskPolicy = DEFAULT_POLICY,
        restore: bool = True,
    ) -> None:
        self.readmodel, self.topic = readmodel, topic
        self.projector = Projector(policy)
        self.batch, self.pending = Batch(), Outputs()
        self.positions: dict[int, int] = readmodel.checkpoint(topic) if restore else {}
        self.rejected = 0
        self.types: dict[str, int] = {}
        if restore:
            self._restore()

    def _restore(self) -> None:
        if self.readmodel.rebuilding():
            log.warning("read model holds an unfinished rebuild: replaying from the start")
            self.readmodel.reset()
            self.positions = {}
            return
        p, stored = self.projector, 0
        for kind, ident, body in self.readmodel.states():
            stored += 1
            obj = load_state(body)
            if kind == "clock":
                p.clock[int(ident)] = obj
            elif kind == "program":
                p.programs[ident] = obj
            else:
                p.adopt(obj)
        if self.positions and not stored:
            log.warning("read model has a checkpoint but no usable state: replaying from the start")
            self.readmodel.reset()
            self.positions = {}
        log.info("restored %d groups, resuming at %s", len(p.groups), self.positions)

    def handle(self, value: Any, headers: Iterable | None, partition: int, offset: int) -> bool:
        """Project one record; False if it was already in the read model, undecodable, or
        an event the projector failed on (logged with its position and counted in
        ``rejected``, as an undecodable one: the same in live projection and ``rebuild``, so
        both stay identical)."""
        if offset < self.positions.get(partition, 0):
            return False
        self.batch.position(self.topic, partition, offset)
        self.batch.events += 1
        try:
            ev = decode(value, headers, partition, offset)
        except UndecodableEvent as exc:
            self.rejected += 1
            log.error("undecodable record %s[%d]@%d: %s", self.topic, partition, offset, exc)
            return False
        try:
            self.projector.process(ev, self.pending)
        except (MemoryError, RecursionError):
            raise  # the process's resources, not the event: live and rebuild could differ
        except Exception as exc:  # one event the fold cannot take: quarantined, not fatal
            self.rejected += 1
            log.error(
                "event %s (%s) at %s[%d]@%d quarantined, projection goes on: %s: %s",
                ev.id, ev.type, self.topic, partition, offset, type(exc).__name__, exc,
            )  # fmt: skip
            return False
        self.types[ev.type] = self.types.get(ev.type, 0) + 1
        return True

    def drain(self) -> Outputs:
        """Move pending rows into the batch; return what to publish before ``commit``."""
        out, self.pending = self.pending, Outputs()
        self.batch.add(out.rows)
        return out

    def commit(self) -> int:
        """Write the batch (rows, positions, changed states); returns events committed."""
        batch = self.seal()
        self.write(batch)
        return batch.events

    def seal(self, states: bool = True) -> Batch:
        """Close the current batch (rows, positions, changed states pickled now) and start a
        new one; the sealed batch still has to be :meth:`write`-n (``rebuild`` writes it on
        another thread while the next one fills). ``states=False`` (``rebuild``): leave the
        states out and dirty, to be pickled once by the last seal."""
        self.drain()
        p, batch = self.projector, self.batch
        self.batch = Batch()
        if not states:
            return batch
        for kind, ident in p.dirty:
            obj = p.groups[ident] if kind == "group" else p.programs[ident]
            batch.states[(kind, ident)] = pickle.dumps(obj, protocol=5)
        for part, tick in p.clock.items():
            batch.states[("clock", str(part))] = pickle.dumps(tick, protocol=5)
        p.dirty.clear()
        return batch

    def write(self, batch: Batch) -> None:
        """Write a sealed batch in one transaction; then its positions count as reached."""
        if batch:
            self.readmodel.write(batch)
        for (_, part), offset in batch.checkpoint.items():
            self.positions[part] = offset
