"""Helpers of the projection-worker scale-out tests: a program whose groups' levels move,
``peerpulse worker`` processes run as operators run them (logs to files, reaped after each
test), waiting for the relay and for a read model's checkpoint, the checkpoint's owners,
``peerpulse rebuild``, and a row-by-row comparison of read models.

The events topic is complete when it holds as many records as the store implies: the relay
publishes every stored event once (ticks once per partition).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from api.status_reader import owner_holder
from projections.readmodel import tables as T
from projections.readmodel.store import ReadModel
from projections.worker.wire import ProjectionTopics
from tests.integration.projection_kit import table_rows
from tests.integration.relay_kit import expected_records, reap
from tests.integration.scale_kit import (
    PARTITIONS,
    Logged,
    Program,
    ends,
    process_env,
)

TAKEN = "was claimed by another projection worker"
"""What a fenced worker says when it exits with status 3 (``TakenOver``)."""
FENCED_EXIT = 3


class FadingProgram(Program):
    """The ingest tests' program, with groups that fall silent: ``g % 5 == 4`` in weeks 6-10
    (then they come back), ``g % 7 == 3`` from week 8 on. Their levels move, flag episodes
    open and close, and the program counters change from groups on every partition."""

    def meets(self, g: int, w: int) -> bool:
        return not (g % 5 == 4 and 6 <= w <= 10 or g % 7 == 3 and w >= 8)


# -- worker processes ----------------------------------------------------------------------
STARTED: list[subprocess.Popen] = []
"""Every process :class:`Workers` started; :func:`reap_workers` kills what a test left."""


@pytest.fixture(autouse=True)
def reap_workers():
    """Kill (and first wake) workers a test left running; import it where Workers is used."""
    yield
    reap(STARTED)


Worker = Logged


@dataclass
class Workers:
    """``peerpulse worker`` processes of one consumer group on one read model."""

    settings: Any
    names: ProjectionTopics
    logs: Path
    name: str = "worker"
    group_id: str = field(default_factory=lambda: f"ws-{uuid.uuid4().hex[:8]}")
    procs: list[Worker] = field(default_factory=list)
    restarted: list[Worker] = field(default_factory=list)
    """Workers that exited fenced and were started again."""

    def start(self) -> Worker:
        log = self.logs / f"{self.name}-{len(self.procs)}.log"
        n = self.names
        cmd = [sys.executable, "-m", "peerpulse", "worker", "--events-topic", n.events,
               "--group-health-topic", n.group_health, "--alerts-topic", n.alerts,
               "--group-id", self.group_id]  # fmt: skip
        proc = subprocess.Popen(cmd, cwd=self.logs, env=process_env(self.settings),
                                stdout=subprocess.DEVNULL, stderr=log.open("w"))  # fmt: skip
        STARTED.append(proc)
        self.procs.append(Worker(proc, log))
        return self.procs[-1]

    def live(self) -> list[Worker]:
        return [w for w in self.procs if w.proc.poll() is None]

    def check_alive(self) -> None:
        """Every worker runs or was SIGKILLed; one that exited fenced (status 3, its
        partition claimed by another) is started again, as its supervisor would."""
        for w in list(self.procs):
            code = w.proc.poll()
            if code in (None, -signal.SIGKILL) or w in self.restarted:
                continue
            if code != FENCED_EXIT or TAKEN not in w.text():
                raise AssertionError(f"{w.log.name} (pid {w.pid}) exited {code}:\n{self.output()}")
            self.restarted.append(w)
            self.start()

    def kill(self, worker: Worker) -> None:
        worker.proc.send_signal(signal.SIGKILL)
        worker.proc.wait(10)

    def stop(self) -> None:
        """SIGTERM to every live worker; each must end cleanly."""
        running = self.live()
        for w in running:
            w.proc.send_signal(signal.SIGTERM)
        for w in running:  # -SIGTERM: stopped before it set its handler (wrote nothing)
            code = w.proc.wait(60)
            assert code in (0, -signal.SIGTERM), f"{w.log.name} ended {code}:\n{w.text()[-3000:]}"

    def output(self) -> str:
        return "\n".join(f"--- {w.log.name} (pid {w.pid})\n{w.text()[-2500:]}" for w in self.procs)


# -- the read model ------------------------------------------------------------------------
def checkpoint_rows(rm: ReadModel, topic: str) -> dict[int, tuple[int, int | None]]:
    """``{partition: (next offset, owner pid)}`` from the read model's checkpoint table."""
    rows = rm.query(f'SELECT "partition", next_offset, owner FROM {rm.name(T.CHECKPOINT)}'
                    f" WHERE topic = {rm.dialect.param}", (topic,))  # fmt: skip
    return {int(p): (int(o), owner_holder(who).pid if who else None) for p, o, who in rows}


def tables(settings) -> dict[str, list[tuple]]:
    """Every row of every dashboard table (not the projector's own bookkeeping)."""
    return table_rows(settings)


def differences(got: dict[str, list[tuple]], want: dict[str, list[tuple]]) -> list[str]:
    """Per differing table: row counts and a few rows only one side has."""
    out = []
    for name, rows in want.items():
        if got[name] != rows:
            extra = sorted(set(got[name]) - set(rows), key=repr)[:3]
            missing = sorted(set(rows) - set(got[name]), key=repr)[:3]
            out.append(f"{name}: {len(got[name])} rows, want {len(rows)}; "
                       f"only here {extra}; missing {missing}")  # fmt: skip
    return out


def wait_relayed(app, bootstrap: str, topic: str, timeout: float = 90) -> None:
    """Until the events topic holds every record the store implies (the relay caught up)."""
    deadline = time.monotonic() + timeout
    while True:
        want = sum(expected_records(app, PARTITIONS).values())
        have = sum(ends(bootstrap, topic).values())
        assert have <= want, f"{have} records on {topic}, the store implies {want}"
        if have == want:
            return
        assert time.monotonic() < deadline, f"relayed {have} of {want} records in {timeout} s"
        time.sleep(0.3)


def wait_projected(rm: ReadModel, topic: str, offsets: dict[int, int],
                   workers: Iterable[Workers] = (), timeout: float = 90) -> float:  # fmt: skip
    """Until the checkpoint of every partition reached ``offsets``; returns seconds taken."""
    return wait_checkpoint(rm, topic, lambda at: all(at.get(p, (0, None))[0] >= o
                                                     for p, o in offsets.items()),
                           workers, timeout, f"offsets {offsets}")  # fmt: skip


def wait_checkpoint(rm: ReadModel, topic: str, done, workers: Iterable[Workers] = (),
                    timeout: float = 90, what: str = "") -> float:  # fmt: skip
    """Until ``done(checkpoint rows)``; the workers must stay up (a fenced one is restarted
    where a supervisor would restart it). Returns the seconds taken."""
    started = time.monotonic()
    while not done(at := checkpoint_rows(rm, topic)):
        for w in workers:
            w.check_alive()
        if time.monotonic() - started > timeout:
            out = "\n".join(w.output() for w in workers)
            raise AssertionError(f"checkpoint {at} after {timeout} s, want {what}\n{out}")
        time.sleep(0.05)
    return time.monotonic() - started


def rebuild_into(settings, names: ProjectionTopics, log: Path) -> None:
    """``peerpulse rebuild`` of ``settings``'s read model from the events topic."""
    group = f"rebuild-{uuid.uuid4().hex[:6]}"
    cmd = [sys.executable, "-m", "peerpulse", "rebuild", "--no-progress", "--workers", "2",
           "--events-topic", names.events, "--group-health-topic", names.group_health,
           "--alerts-topic", names.alerts, "--group-id", group]  # fmt: skip
    with log.open("w") as err:
        done = subprocess.run(cmd, cwd=log.parent, env=process_env(settings),
                              stdout=subprocess.DEVNULL, stderr=err, timeout=300)  # fmt: skip
    assert done.returncode == 0, log.read_text()[-3000:]


class CheckpointWatch(threading.Thread):
    """Samples the checkpoint's offsets every ``every`` s; remembers any that went back."""

    def __init__(self, settings, topic: str, every: float = 0.05) -> None:
        super().__init__(name="checkpoint-watch", daemon=True)
        self.rm, self.topic, self.every = ReadModel(settings).open(), topic, every
        self.stopping, self.samples = threading.Event(), 0
        self.backwards: list[str] = []

    def run(self) -> None:
        last: dict[int, int] = {}
        while not self.stopping.wait(self.every):
            for part, (offset, _) in checkpoint_rows(self.rm, self.topic).items():
                if offset < last.get(part, 0):
                    self.backwards.append(f"partition {part}: {last[part]} -> {offset}")
                last[part] = offset
            self.samples += 1

    def stop(self) -> None:
        self.stopping.set()
        if self.ident is not None:
            self.join(10)
        self.rm.close()
