"""Prometheus bookkeeping for a projection run (events, rejections, lag, groups per level).

The per-program gauges (groups per level, the flag-episode funnel) describe the whole read
model. A worker alone on the topic keeps them from its own batches' deltas; when workers
share the topic (decision 0025) each sees only its partitions' deltas, so the one that
owns partition 0 sets them from the read model's roll-up tables after every batch and the
others export none: ``sum by (program)`` stays right however many workers run."""

from __future__ import annotations

import time

from infra import metrics
from projections.engine import Outputs
from projections.fold.handlers import HANDLERS, PROGRAM_HANDLERS
from projections.outputs.episodes import STAGES
from projections.readmodel import tables as T
from projections.readmodel.store import ReadModel
from projections.worker.runner import ProjectionRunner

MAX_PROGRAM_LABELS = 200
KNOWN_TYPES = {*HANDLERS, *PROGRAM_HANDLERS, "peerpulse.clock.ticked.v1"}
LEVEL_COLUMNS = ("healthy", "watch", "at_risk", "dormant", "ended")


class Observer:
    """Feeds the metrics catalogue from a runner's counts and outputs."""

    def __init__(self) -> None:
        self._programs: set[str] = set()
        self._names: dict[str, str] = {}
        self._rejected = 0
        self._exports: bool | None = None
        """None: alone on the topic, the gauges follow its deltas; shared (after
        :meth:`owned`): True if it exports them from the read model, False if not."""

    def owned(self, runner: ProjectionRunner) -> None:
        """The runner's partitions changed: export the program gauges if it owns partition
        0, from the read model; clear them otherwise."""
        self._exports = runner.owned is None or 0 in runner.owned
        if self._exports:
            self.refresh(runner.readmodel)
        else:
            metrics.PROJECTION_GROUPS.clear()
            metrics.PROJECTION_FLAG_EPISODES.clear()

    def refresh(self, readmodel: ReadModel) -> None:
        """Set the program gauges to the read model's roll-up and episode tables."""
        groups: dict[tuple[str, str], int] = {}
        cols = T.PROGRAM_ROLLUP.columns
        for row in readmodel.rows(T.PROGRAM_ROLLUP):
            values = dict(zip(cols, row, strict=True))
            self.name_program(values["program_id"], values["name"])
            label = self.program_label(values["program_id"])
            for level in LEVEL_COLUMNS:
                groups[(label, level)] = groups.get((label, level), 0) + (values[level] or 0)
        stages: dict[tuple[str, str], int] = {}
        cols = T.PROGRAM_EPISODES.columns
        for row in readmodel.rows(T.PROGRAM_EPISODES):
            values = dict(zip(cols, row, strict=True))
            label = self.program_label(values["program_id"])
            for stage in STAGES:
                if values.get(stage):
                    stages[(label, stage)] = stages.get((label, stage), 0) + values[stage]
        for (label, level), n in groups.items():
            metrics.PROJECTION_GROUPS.labels(label, level).set(n)
        for (label, stage), n in stages.items():
            metrics.PROJECTION_FLAG_EPISODES.labels(label, stage).set(n)

    def program_label(self, program_id: str) -> str:
        """The program's label, bounded to the first ``MAX_PROGRAM_LABELS`` programs."""
        if program_id in self._programs or len(self._programs) < MAX_PROGRAM_LABELS:
            if program_id not in self._programs:
                self._programs.add(program_id)
                self._show_name(program_id, program_id)  # until its name is known
            return program_id
        self._show_name("other", "other programs")
        return "other"

    def name_program(self, program_id: str, name: str | None) -> None:
        """Publish the program's name beside its label, so legends need no UUIDs."""
        label = self.program_label(program_id)
        if label != "other":
            self._show_name(label, name or program_id)

    def _show_name(self, label: str, name: str) -> None:
        old = self._names.get(label)
        if old == name:
            return
        if old is not None:
            metrics.PROGRAM_INFO.remove(label, old)
        metrics.PROGRAM_INFO.labels(label, name).set(1)
        self._names[label] = name

    def load(self, readmodel: ReadModel) -> None:
        """Start the groups and flag-episode gauges from the stored roll-ups (worker restart)."""
        cols = T.PROGRAM_ROLLUP.columns
        for row in readmodel.rows(T.PROGRAM_ROLLUP):
            values = dict(zip(cols, row, strict=True))
            self.name_program(values["program_id"], values["name"])
            for level in LEVEL_COLUMNS:
                label = self.program_label(values["program_id"])
                metrics.PROJECTION_GROUPS.labels(label, level).inc(values[level] or 0)
        cols = T.PROGRAM_EPISODES.columns
        for row in readmodel.rows(T.PROGRAM_EPISODES):
            values = dict(zip(cols, row, strict=True))
            self._count_episodes(values["program_id"], values)

    def _count_episodes(self, program_id: str, deltas: dict) -> None:
        label = self.program_label(program_id)
        for stage in STAGES:
            if deltas.get(stage):
                metrics.PROJECTION_FLAG_EPISODES.labels(label, stage).inc(deltas[stage])

    def after(self, runner: ProjectionRunner, out: Outputs, newest_ts_ms: int | None) -> None:
        """Record one committed batch."""
        for type_, n in runner.types.items():
            metrics.PROJECTION_EVENTS.labels(type_ if type_ in KNOWN_TYPES else "other").inc(n)
        runner.types.clear()
        if runner.rejected > self._rejected:
            metrics.PROJECTION_REJECTED.inc(runner.rejected - self._rejected)
            self._rejected = runner.rejected
        if self._exports is not None:
            if self._exports:
                self.refresh(runner.readmodel)
            self._lag(newest_ts_ms)
            return
        for r in out.rows:
            if r.table == T.PROGRAM_ROLLUP.name and r.op != "incr" and "name" in r.values:
                self.name_program(r.key[0], r.values["name"])
            elif r.table == T.PROGRAM_ROLLUP.name and r.op == "incr":
                for level, delta in r.values.items():
                    metrics.PROJECTION_GROUPS.labels(self.program_label(r.key[0]), level).inc(delta)
            elif r.table == T.PROGRAM_EPISODES.name:
                self._count_episodes(r.key[0], r.values)
        self._lag(newest_ts_ms)

    def _lag(self, newest_ts_ms: int | None) -> None:
        if newest_ts_ms:
            metrics.PROJECTION_LAG_SECONDS.set(max(0.0, time.time() - newest_ts_ms / 1000))
