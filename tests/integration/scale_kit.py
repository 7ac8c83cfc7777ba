"""Helpers of the ingest scale-out tests: a program of groups as attendance messages,
``peerpulse ingest`` processes run as operators run them (logs to files, reaped after each
test), publishing, what the store holds, and an uninterrupted reference to compare with.

Every message of one group is keyed by the group (so one group lives on one partition, as
``POST /v1/attendance`` keys it), program messages by the program. Probe groups (one per
partition, published to that partition explicitly) carry *markers*: a marker applied on
every partition tells that every partition is consumed again.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from kafka import TopicPartition

from consumers.ingest.mapper import apply
from consumers.ingest.positions import current_tracking_name, split, stored_offset
from domain.application import EngagementApp
from domain.ids import CLOCK_ID, derive_id
from infra.broker import free_port
from infra.contract.inbound.decoder import Command, decode
from infra.kafka import end_offsets, producer
from infra.topics import Topic, create_topics
from tests.integration.ingest_kit import T0, message
from tests.integration.relay_kit import reap
from tests.unit.ingest.conftest import NOW, FakeVault

REPO = Path(__file__).parents[2]
SOURCE = "lms.test"
PARTITIONS = 6
MEMBERS = 4


# -- the program ---------------------------------------------------------------------------
def group_name(g: int) -> str:
    return f"g{g:02d}"


def program_of(g: int, programs: int) -> str:
    return f"p{g % programs}"


def launch(program: str) -> bytes:
    return message("program.launched", {"name": f"Program {program}", "organisation": "Uni",
                                        "cadence": "weekly"}, program=program)  # fmt: skip


def change_lapse_policy(program: str, lapse_after: int, at: float) -> bytes:
    return message("program.changed", {"name": f"Program {program}", "organisation": "Uni",
                                       "cadence": "weekly", "lapse_after": lapse_after},
                   at=at, program=program)  # fmt: skip


def roster(group: str, program: str) -> list[bytes]:
    """The group formed and its members joined (the last one as mentor)."""
    formed = {"name": f"Circle {group}", "cadence": "weekly", "goal": "ship a pilot"}
    out = [message("group.formed", formed, group=group, program=program)]
    for m in range(MEMBERS):
        role = "mentor" if m == MEMBERS - 1 else "peer"
        out.append(message("member.joined", {"member": f"{group}-m{m}", "role": role},
                           at=0.01 * (m + 1), group=group, program=program))  # fmt: skip
    return out


def week(g: int, w: int, program: str) -> list[bytes]:
    """One week of group ``g``: scheduled, held or cancelled, marks, commitments, pauses.

    Member 2 misses weeks 9 and 10 of every third group: a lapse with a lapse policy of
    2 misses, none with the default of 3; member 1 misses three weeks in a row once a
    quarter (a lapse under either policy).
    """
    group = group_name(g)
    m = [f"{group}-m{i}" for i in range(MEMBERS)]

    def msg(kind: str, data: dict, hours: float) -> bytes:
        return message(kind, data, at=7 * w + 1 + hours / 24, group=group, program=program)

    session = f"s{w}"
    out = [msg("session.scheduled", {"session": session,
                                     "scheduled_for": (T0 + timedelta(days=7 * w + 1)).isoformat()},
               -48)]  # fmt: skip
    if (w + g) % 9 == 7:
        return [*out, msg("session.cancelled", {"session": session, "reason": "holiday"}, 0)]
    absent = []
    if g % 3 == 0 and w in (9, 10):
        absent.append(m[2])
    if (w + g) % 12 in (3, 4, 5):
        absent.append(m[1])
    present = [x for x in m[:3] if x not in absent]
    out.append(msg("session.held", {"session": session, "present": present, "absent": absent}, 0))
    out.append(msg("attendance.marked", {"session": session, "member": m[3],
                                         "status": "present"}, 1))  # fmt: skip
    if w % 4 == 2:  # a correction: the roll call was wrong about member 0
        out.append(msg("attendance.marked", {"session": session, "member": m[0],
                                             "status": "excused"}, 2))  # fmt: skip
    commitment = f"c{w}"
    due = (T0 + timedelta(days=7 * w + 8)).isoformat()
    out.append(msg("commitment.made", {"commitment": commitment, "member": m[w % 3],
                                       "session": session, "due": due}, 3))  # fmt: skip
    previous = f"c{w - 1}"
    if w and (w - 1 + g) % 9 != 7:
        kind = "commitment.kept" if (w + g) % 3 else "commitment.missed"
        out.append(msg(kind, {"commitment": previous, "member": m[(w - 1) % 3]}, 4))
    if w % 10 == 5 and g % 2:
        until = (T0 + timedelta(days=7 * w + 15)).isoformat()
        out.append(msg("group.paused", {"until": until, "reason": "exams"}, 5))
    if w % 10 == 6 and g % 2:
        out.append(msg("group.resumed", {}, 5))
    return out


@dataclass
class Program:
    """``groups`` groups in ``programs`` programs, ``weeks`` weeks of sessions each."""

    groups: int = 30
    programs: int = 3
    weeks: int = 16

    def launches(self) -> list[tuple[bytes, bytes]]:
        names = [f"p{p}" for p in range(self.programs)]
        return [(name.encode(), launch(name)) for name in names]

    def weeks_of(self, first: int, last: int) -> list[tuple[bytes, bytes]]:
        """(key, value) of weeks ``first``..``last - 1`` of every group, week by week
        (week 0 starts with the rosters)."""
        out = []
        for w in range(first, last):
            for g in range(self.groups):
                program, key = program_of(g, self.programs), group_name(g).encode()
                if w == 0:
                    out += [(key, v) for v in roster(group_name(g), program)]
                if self.meets(g, w):
                    out += [(key, v) for v in week(g, w, program)]
        return out

    def meets(self, g: int, w: int) -> bool:
        """Whether group ``g`` meets in week ``w`` (every week here)."""
        return True

    def ids(self) -> dict[str, Any]:
        """Every program and group aggregate the program writes, by the sender's name."""
        programs = {f"p{p}": derive_id("program", SOURCE, f"p{p}") for p in range(self.programs)}
        groups = {group_name(g): derive_id("group", SOURCE, group_name(g))
                  for g in range(self.groups)}  # fmt: skip
        return programs | groups


def probe_name(partition: int) -> str:
    return f"probe{partition}"


def probe_roster(partition: int) -> list[bytes]:
    return roster(probe_name(partition), "p0")


def marker(partition: int, n: int) -> bytes:
    """The ``n``-th marker of ``partition``: a session its probe group held on day 1 (older
    than the program's sessions, so markers never move the clock)."""
    group = probe_name(partition)
    return message("session.held", {"session": f"mark{n}", "present": [f"{group}-m0"]},
                   at=1 + n / 1000, group=group, program="p0")  # fmt: skip


def probe_ids() -> dict[str, Any]:
    return {probe_name(p): derive_id("group", SOURCE, probe_name(p)) for p in range(PARTITIONS)}


# -- topics and publishing -----------------------------------------------------------------
def topics(bootstrap: str) -> tuple[str, str]:
    """A fresh 6-partition (input, dlq) topic pair."""
    suffix = uuid.uuid4().hex[:10]
    names = (f"t-scale-{suffix}", f"t-scale-dlq-{suffix}")
    create_topics(bootstrap, PARTITIONS, tuple(Topic(n, "k", "v", "test") for n in names))
    return names


class Publisher:
    """One idempotent producer; remembers every value it sent, in order, per partition."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic, self.producer = topic, producer(bootstrap)
        self.lock = threading.Lock()
        self.sent: list[bytes] = []
        self.markers = 0

    def send(self, items: Iterable[tuple[bytes, bytes]]) -> None:
        """Produce (key, value) pairs in order and wait until all are stored."""
        with self.lock:
            for key, value in items:
                self.producer.send(self.topic, key=key, value=value)
                self.sent.append(value)
            self.producer.flush(30)

    def to_partitions(self, values: dict[int, list[bytes]]) -> dict[int, int]:
        """Produce ``values`` to their partitions; the offset of each partition's last one."""
        last = {}
        with self.lock:
            futures = {}
            for partition, vs in values.items():
                for v in vs:
                    futures[partition] = self.producer.send(self.topic, value=v, key=b"probe",
                                                            partition=partition)  # fmt: skip
                    self.sent.append(v)
            self.producer.flush(30)
            for partition, future in futures.items():
                last[partition] = future.get(30).offset
        return last

    def mark_all(self) -> dict[int, int]:
        """One marker on every partition; the marker's offset per partition."""
        self.markers += 1
        return self.to_partitions({p: [marker(p, self.markers)] for p in range(PARTITIONS)})

    def close(self) -> None:
        self.producer.close(10)


class Paced(threading.Thread):
    """Publishes ``items`` in chunks of ``chunk`` every ``pause`` seconds."""

    def __init__(self, publisher: Publisher, items: list, chunk: int = 60, pause: float = 0.2):
        super().__init__(name="publisher", daemon=True)
        self.publisher, self.items, self.chunk, self.pause = publisher, items, chunk, pause
        self.failed: BaseException | None = None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            for i in range(0, len(self.items), self.chunk):
                self.publisher.send(self.items[i : i + self.chunk])
                time.sleep(self.pause)
        except BaseException as exc:  # reported by the test
            self.failed = exc
        finally:
            self.done.set()

    def finish(self, timeout: float = 120) -> None:
        self.join(timeout)
        assert not self.is_alive(), "publishing did not finish"
        assert self.failed is None, self.failed


# -- processes -----------------------------------------------------------------------------
STARTED: list[subprocess.Popen] = []
"""Every process :class:`Fleet` started; :func:`reap_ingests` kills what a test left."""


@pytest.fixture(autouse=True)
def reap_ingests():
    """Kill (and first wake) ingest processes a failed test left running; import it into
    every module that uses :class:`Fleet`."""
    yield
    reap(STARTED)


def process_env(settings, env: dict | None = None) -> dict[str, str]:
    """The environment that makes ``peerpulse`` build ``settings`` (store and broker)."""
    from peerpulse.commands.up import settings_env

    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **settings_env(settings), **(env or {})}


@dataclass
class Logged:
    """A process a test started, and the file its output goes to."""

    proc: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def text(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Ingest(Logged):
    metrics_port: int

    def applied(self) -> int | None:
        """Messages this process applied so far (its /metrics), None while not serving."""
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                body = response.read().decode()
        except OSError:
            return None
        counts = re.findall(r"^peerpulse_ingest_messages_total\{[^}]*\} (\S+)$", body, re.M)
        return int(sum(float(c) for c in counts))


@dataclass
class Fleet:
    """``peerpulse ingest`` processes of one consumer group, as the operator starts them."""

    settings: Any
    topic: str
    dlq: str
    logs: Path
    group_id: str = field(default_factory=lambda: f"scale-{uuid.uuid4().hex[:8]}")
    name: str = "ingest"
    max_records: int = 200
    env: dict = field(default_factory=dict)
    procs: list[Ingest] = field(default_factory=list)

    def start(self) -> Ingest:
        log = self.logs / f"{self.name}-{len(self.procs)}.log"
        port = free_port()
        env = {"PEERPULSE_METRICS_PORT": str(port), "PEERPULSE_METRICS_HOST": "127.0.0.1",
               **self.env}  # fmt: skip
        cmd = [sys.executable, "-m", "peerpulse", "ingest", "--topic", self.topic,
               "--dlq-topic", self.dlq, "--group-id", self.group_id,
               "--max-records", str(self.max_records)]  # fmt: skip
        proc = subprocess.Popen(cmd, cwd=self.logs, env=process_env(self.settings, env),
                                stdout=subprocess.DEVNULL, stderr=log.open("w"))  # fmt: skip
        STARTED.append(proc)
        ingest = Ingest(proc, log, port)
        self.procs.append(ingest)
        return ingest

    def live(self) -> list[Ingest]:
        return [i for i in self.procs if i.proc.poll() is None]

    def check_alive(self) -> None:
        for i in self.procs:
            code = i.proc.poll()
            assert code is None or code == -signal.SIGKILL, (
                f"{i.log.name} (pid {i.pid}) exited with {code}:\n{i.text()[-3000:]}"
            )

    def kill(self, ingest: Ingest) -> None:
        ingest.proc.send_signal(signal.SIGKILL)
        ingest.proc.wait(10)

    def wait_applying(self, timeout: float = 60) -> None:
        """Until every live process has applied at least one message (owns partitions)."""
        deadline = time.monotonic() + timeout
        while not all((i.applied() or 0) > 0 for i in self.live()):
            self.check_alive()
            assert time.monotonic() < deadline, "a process applied nothing:\n" + self.output()
            time.sleep(0.2)

    def stop(self) -> None:
        """SIGTERM to every live process; each must end cleanly (or have been SIGKILLed)."""
        for i in self.live():
            i.proc.send_signal(signal.SIGTERM)
        for i in self.procs:
            code = i.proc.wait(60)
            assert code in (0, -signal.SIGKILL), f"{i.log.name} ended {code}:\n{i.text()[-3000:]}"

    def output(self) -> str:
        return "\n".join(f"--- {i.log.name} (pid {i.pid})\n{i.text()[-2500:]}" for i in self.procs)


# -- the store -----------------------------------------------------------------------------
def ends(bootstrap: str, topic: str) -> dict[int, int]:
    """The end offset of every partition of ``topic``."""
    found = end_offsets(bootstrap, [TopicPartition(topic, p) for p in range(PARTITIONS)])
    return {tp.partition: offset for tp, offset in found.items()}


def applied_through(app, topic: str) -> dict[int, int | None]:
    """The last offset applied per partition (decoded from the tracking words)."""
    return {p: stored_offset(app, topic, p) for p in range(PARTITIONS)}


def wait_applied(app, topic: str, offsets: dict[int, int], fleets: Iterable[Fleet] = (),
                 timeout: float = 90) -> float:  # fmt: skip
    """Until every partition's stored offset reached ``offsets``; returns the seconds taken."""
    started = time.monotonic()
    deadline = started + timeout
    while True:
        stored = applied_through(app, topic)
        if all(stored[p] is not None and stored[p] >= o for p, o in offsets.items()):
            return time.monotonic() - started
        for fleet in fleets:
            fleet.check_alive()
        if time.monotonic() > deadline:
            words = {p: split(app.max_tracking_position(current_tracking_name(app, topic, p)))
                     for p in offsets}  # fmt: skip
            counts = {i.log.name: i.applied() for f in fleets for i in f.live()}
            out = "\n".join(f.output() for f in fleets)
            raise AssertionError(
                f"applied {stored}, want {offsets} after {timeout} s; (epoch, offset) {words}; "
                f"applied per process {counts}\n{out}"
            )
        time.sleep(0.05)


def wait_all_applied(app, bootstrap: str, topic: str, fleets: Iterable[Fleet] = (),
                     timeout: float = 90) -> None:  # fmt: skip
    """Until every record on the topic is applied."""
    offsets = {p: e - 1 for p, e in ends(bootstrap, topic).items() if e > 0}
    assert len(offsets) == PARTITIONS, f"a partition holds no record: {offsets}"
    wait_applied(app, topic, offsets, fleets, timeout)


def dead_letters(bootstrap: str, dlq: str) -> int:
    return sum(ends(bootstrap, dlq).values())


def events(app, aggregate_id) -> list[tuple]:
    """The aggregate's events as (type, version, event time, payload) tuples."""
    return [
        (type(e).__name__, e.originator_version, e.timestamp,
         sorted((k, repr(v)) for k, v in vars(e).items()
                if k not in ("originator_id", "originator_version", "timestamp")))
        for e in app.repository.event_store.get(aggregate_id)
    ]  # fmt: skip


def fingerprint(app, ids: dict[str, Any]) -> dict[str, list[tuple]]:
    """Each aggregate's :func:`events` by name."""
    return {name: events(app, i) for name, i in ids.items()}


def ticks(app) -> list:
    """The boundaries the clock ticked at, in order."""
    return [e.at for e in app.repository.event_store.get(CLOCK_ID) if hasattr(e, "at")
            and type(e).__name__ == "Ticked"]  # fmt: skip


def apply_all(app, values: Iterable[bytes]) -> None:
    """Apply raw messages through ingest's own mapper, each in a batch of its own."""
    for raw in values:
        command = decode(raw, None, NOW)
        assert isinstance(command, Command), command
        with app.batch():
            apply(app, command)


def reference(values: Iterable[bytes]) -> EngagementApp:
    """The uninterrupted outcome: every message applied once, in publishing order, in memory
    (per aggregate the same order as any consumer: one group, one partition)."""
    app = EngagementApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, vault=FakeVault())
    apply_all(app, values)
    return app


def mismatches(got: dict, want: dict) -> list[str]:
    """Aggregates whose events differ, each with its first differing event."""
    out = []
    for key in want:
        a, b = got.get(key, []), want[key]
        if a != b:
            first = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                         min(len(a), len(b)))  # fmt: skip
            out.append(f"{key}: {len(a)} events, want {len(b)}; first difference at {first}: "
                       f"{_short(a[first:first + 1])} != {_short(b[first:first + 1])}")  # fmt: skip
    return out


def _short(found: list[tuple]) -> str:
    if not found:
        return "(none)"
    kind, version, at, payload = found[0]
    return f"{kind} v{version} at {at:%Y-%m-%d %H:%M} {dict(payload)}"


def histogram(app, ids: dict[str, Any]) -> dict[str, int]:
    """How many events of each type the aggregates ``ids`` hold."""
    out: dict[str, int] = {}
    for i in ids.values():
        for e in app.repository.event_store.get(i):
            out[type(e).__name__] = out.get(type(e).__name__, 0) + 1
    return out


def jsonable(figures: list[float]) -> str:
    return json.dumps([round(f, 2) for f in figures])
