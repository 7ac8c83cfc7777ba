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
        self.owned: set[int] | None = None
        """The partitions this runner owns (:meth:`assign`); None: all of them, unfenced."""
        self.epochs: dict[int, int] = {}
        self.rejected = 0
        self.types: dict[str, int] = {}
        if restore:
            if readmodel.stale():
                log.warning("read model cannot be resumed (an unfinished rebuild, or states of"
                            " an older format): replaying from the start")  # fmt: skip
                readmodel.reset()
                self.positions = {}
            self._restore(None)
            log.info("restored %d groups, resuming at %s", len(self.projector.groups),
                     self.positions)  # fmt: skip

    def _restore(self, partitions: set[int] | None) -> None:
        p = self.projector
        for kind, ident, body, part in self.readmodel.states(partitions):
            obj = load_state(body)
            if kind == "clock":
                p.clock[int(ident)] = obj
            elif kind == "program":
                p.programs[ident] = obj
                if part is not None:
                    p.program_partition[ident] = part
            else:
                p.adopt(obj)

    def assign(self, partitions: set[int], owner: str) -> dict[int, int]:
        """Own exactly ``partitions`` from now on (a worker sharing the topic, decision
        0025). Call between batches, at every assignment.

        The states of partitions given up are forgotten. Every partition assigned is
        claimed again (its owner epoch raised: that fences out any other claimant); one
        that was ours before and that nobody else claimed since (the epoch is exactly ours
        plus one) keeps its states in memory, every other one — new, or claimed by
        another worker while this one was away (a lapsed session) — has its states
        restored from the read model. Returns where to read every owned partition from:
        its checkpoint, read after the claim."""
        if self.owned is None and (self.projector.groups or self.positions):
            raise RuntimeError("assign() needs a runner made with restore=False")
        before = self.owned or set()
        claimed = self.readmodel.claim(self.topic, partitions, owner) if partitions else {}
        kept = {
            part
            for part in partitions & before
            if claimed[part][0] == self.epochs.get(part, -1) + 1
            and claimed[part][1] == self.positions.get(part)
        }
        stale = before - kept
        if stale:
            self.projector.drop(stale)
            for part in stale:
                self.epochs.pop(part, None)
                self.positions.pop(part, None)
        self.owned = set(partitions)
        for part in sorted(partitions):
            self.epochs[part], self.positions[part] = claimed[part]
        restored = partitions - kept
        if restored:
            self._restore(restored)
        log.info(
            "owning partitions %s of %s (restored: %s, at %s)", sorted(partitions), self.topic,
            sorted(restored), {part: self.positions[part] for part in sorted(partitions)},
        )  # fmt: skip
        return {part: self.positions[part] for part in partitions}

    def handle(self, value: Any, headers: Iterable | None, partition: int, offset: int) -> bool:
        """Project one record; False if it was already in the read model, undecodable, or
        an event the projector failed on (logged with its position and counted in
        ``rejected``, as an undecodable one: the same in live projection and ``rebuild``, so
        both stay identical)."""
        if offset < self.positions.get(partition, 0) or (
            self.owned is not None and partition not in self.owned
        ):
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
            if kind == "group":
                obj = p.groups[ident]
                part = obj.partition
            elif kind == "program":
                obj, part = p.programs[ident], p.program_partition.get(ident)
            else:
                part = int(ident)
                obj = p.clock[part]
            batch.states[(kind, ident)] = pickle.dumps(obj, protocol=5)
            if part is not None:
                batch.state_partitions[(kind, ident)] = part
        p.dirty.clear()
        return batch

    def write(self, batch: Batch) -> None:
        """Write a sealed batch in one transaction; then its positions count as reached."""
        if batch:
            self.readmodel.write(batch, fence=None if self.owned is None else self.epochs)
        for (_, part), offset in batch.checkpoint.items():
            self.positions[part] = offset
