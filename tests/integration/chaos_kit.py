"""Helpers for the chaos test: the three pipeline roles as child processes, a seeded kill
schedule, and where each role stands (read from where the role records its progress)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any

from kafka import TopicPartition

from consumers.ingest.positions import next_offsets
from infra.kafka import end_offsets
from infra.settings import Settings
from peerpulse.commands.up import settings_env
from projections.readmodel.store import ReadModel
from projections.worker.wire import ProjectionTopics
from tests.integration.relay_kit import expected_records

REPO = Path(__file__).parents[2]
ROLES = ("ingest", "relay", "worker")


@dataclass(frozen=True)
class ChaosTopics:
    """The test's own attendance, dead-letter and projection topics."""

    attendance: str
    dlq: str
    projection: ProjectionTopics


@dataclass(frozen=True)
class Kill:
    """After publishing chunk ``chunk``, once ``role`` is at work, wait ``delay`` seconds,
    then SIGKILL it."""

    chunk: int
    delay: float
    role: str


def kill_schedule(rng: Random, kills: int) -> list[Kill]:
    """``kills`` kills (at least two per role), in a seeded random order and rhythm."""
    roles = [*ROLES, *ROLES, *(rng.choice(ROLES) for _ in range(max(0, kills - 6)))]
    rng.shuffle(roles)
    return [Kill(i, round(rng.uniform(0.0, 0.4), 2), role) for i, role in enumerate(roles)]


def cuts(rng: Random, total: int, chunks: int) -> list[tuple[int, int]]:
    """``total`` split into ``chunks`` consecutive non-empty ranges at random points."""
    points = [0, *sorted(rng.sample(range(1, total), chunks - 1)), total]
    return list(zip(points, points[1:], strict=False))


@dataclass
class Roles:
    """Starts, kills and restarts ``peerpulse ingest|relay|worker`` on the test's topics,
    each in a session of its own (the relay's reader child included), logs in ``logs``."""

    settings: Settings
    topics: ChaosTopics
    logs: Path
    tag: str
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    started: list[tuple[str, subprocess.Popen]] = field(default_factory=list)
    since: dict[str, int] = field(default_factory=dict)
    """Each role's progress when it was last restarted (see :meth:`Pipeline.strike`)."""
    exits: list[str] = field(default_factory=list)
    """Roles that ended without being killed (e.g. a lock not yet freed), as log lines."""

    def args(self, role: str) -> list[str]:
        t = self.topics
        if role == "ingest":
            return ["ingest", "--topic", t.attendance, "--dlq-topic", t.dlq,
                    "--group-id", f"chaos-ingest-{self.tag}", "--max-records", "200"]  # fmt: skip
        if role == "relay":
            return ["relay", "--topic", t.projection.events, "--batch-size", "200"]
        p = t.projection
        return ["worker", "--events-topic", p.events, "--group-health-topic", p.group_health,
                "--alerts-topic", p.alerts, "--group-id", f"chaos-worker-{self.tag}"]  # fmt: skip

    def start(self, role: str) -> None:
        log = self.logs / f"{role}-{sum(1 for r, _ in self.started if r == role)}.log"
        env = {**os.environ, "PYTHONPATH": str(REPO), **settings_env(self.settings)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "peerpulse", *self.args(role)],
            cwd=self.logs, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"),
            start_new_session=True,
        )  # fmt: skip
        self.procs[role] = proc
        self.started.append((role, proc))

    def kill(self, role: str) -> None:
        """SIGKILL the role's process (not its children: they must notice) and restart it."""
        proc = self.procs[role]
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        self.start(role)

    def revive(self) -> None:
        """Restart every role that ended by itself, as a supervisor would."""
        for role, proc in self.procs.items():
            if proc.poll() is not None:
                self.exits.append(f"{role} exited {proc.returncode}: {self.tail(role, 300)}")
                self.start(role)

    def tail(self, role: str, chars: int = 1500) -> str:
        logs = sorted(self.logs.glob(f"{role}-*.log"), key=lambda p: int(p.stem.split("-")[1]))
        return logs[-1].read_text()[-chars:] if logs else ""

    def stop(self) -> None:
        """SIGTERM every role, then SIGKILL whatever is left of every session started."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            with suppress(subprocess.TimeoutExpired):
                proc.wait(30)
        for _, proc in self.started:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def _ends(bootstrap: str, topic: str, partitions: int) -> dict[int, int]:
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    return {tp.partition: end for tp, end in end_offsets(bootstrap, tps).items()}


@dataclass
class Pipeline:
    """Where each role stands, read from where the role records its progress: ingest's
    tracking records, the events topic, the read model's checkpoint."""

    app: Any
    settings: Settings
    topics: ChaosTopics
    partitions: int

    def status(self, role: str) -> tuple[int, int]:
        """(done, pending) of one role: attendance records applied / still to apply; stored
        events on the events topic / not there yet; events projected / not yet."""
        bootstrap, events, parts = (
            self.settings.kafka_bootstrap,
            self.topics.projection.events,
            self.partitions,
        )
        if role == "ingest":
            target = sum(_ends(bootstrap, self.topics.attendance, parts).values())
            done = sum(next_offsets(self.app, self.topics.attendance, range(parts)).values())
            return done, target - done
        on_topic = _ends(bootstrap, events, parts)
        if role == "relay":
            stored = sum(expected_records(self.app, parts).values())
            return sum(on_topic.values()), stored - sum(on_topic.values())
        readmodel = ReadModel(self.settings).open()
        try:
            checkpoint = readmodel.checkpoint(events)
        finally:
            readmodel.close()
        done = sum(min(on_topic[p], checkpoint.get(p, 0)) for p in on_topic)
        return done, sum(on_topic.values()) - done

    def strike(self, roles: Roles, kill: Kill, patience: float = 30.0) -> int:
        """Wait until ``kill.role`` is at work (it has made progress since it started and
        has more to do; at most ``patience`` s), wait ``kill.delay``, SIGKILL and restart it.
        Returns what the role had pending when it was last seen."""
        since, pending = roles.since.get(kill.role, 0), 0
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            roles.revive()
            done, pending = self.status(kill.role)
            if done > since and pending > 0:
                break
            time.sleep(0.05)
        time.sleep(kill.delay)
        roles.kill(kill.role)
        roles.since[kill.role] = self.status(kill.role)[0]
        return pending

    def wait_caught_up(self, roles: Roles, timeout: float) -> None:
        """Until every role has caught up (twice in a row), restarting roles that ended."""
        deadline, steady, pending = time.monotonic() + timeout, 0, {}
        while time.monotonic() < deadline:
            roles.revive()
            pending = {role: self.status(role)[1] for role in ROLES}
            steady = steady + 1 if not any(pending.values()) else 0
            if steady >= 2:
                return
            time.sleep(1.0)
        tails = "\n".join(f"--- {r}:\n{roles.tail(r)}" for r in ROLES)
        raise AssertionError(f"not caught up after {timeout:.0f} s, pending {pending}\n{tails}")
