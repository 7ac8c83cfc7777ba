"""Shared helpers of the relay tests: a recorded history covering every public event type,
relay settings and topics, the exactly-once check, relay processes and their reaping."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid5

import pytest

from infra.contract import decode
from infra.contract.translate import NOT_PUBLISHED
from infra.kafka import read_all
from infra.relay_positions import partition_for, position_of

NS = UUID("0b6b1f5e-2f43-4c41-9a57-5d0c2f7d1e00")
START = datetime(2025, 1, 6, 9, tzinfo=UTC)
WEEK = timedelta(days=7)


def _id(*parts: object) -> UUID:
    return uuid5(NS, ":".join(map(str, parts)))


def _open_program(app, p: int, now: datetime) -> UUID:
    program, coordinator = _id("program", p), _id("coordinator", p)
    if p % 2 == 0:  # provisioned by an early mark, then the real launch arrives
        app.launch_program(program, f"prog-{p}", "lms", "weekly", now, provisional=True)
    app.launch_program(program, f"Program {p}", "North Campus", "weekly", now)
    app.assign_coordinator(
        program, coordinator, "Grace Hopper", "grace@example.org", "Europe/Berlin", "email", now
    )
    app.set_lead_coordinator(program, coordinator, now)
    app.assign_coordinator(
        program,
        _id("deputy", p),
        "Alan Turing",
        "alan@example.org",
        "Europe/London",
        "slack",
        now,
        digest="daily",
    )
    return program


def _form(app, program: UUID, g: int, now: datetime) -> None:
    group = _id("group", g)
    early = g % 4 == 1  # marks arrived first: provisional group and members, then the roster
    if early:
        app.form_group(group, program, f"g-{g}", "weekly", "", now, provisional=True)
    app.form_group(group, program, f"Circle {g}", "weekly", "ship a pilot", now)
    for m in range(4):
        member = _id("member", g, m)
        app.register_member(member, f"peer-{g}-{m}", f"Person {g}/{m}", "p@example.org", now)
        if early:
            app.join_member(group, member, "peer", now, provisional=True)
        app.join_member(group, member, "mentor" if m == 3 else "peer", now)


def _week(app, g: int, w: int, now: datetime, coordinator: UUID) -> None:
    group, m = _id("group", g), [_id("member", g, i) for i in range(4)]
    session = _id("session", g, w)
    app.schedule_session(group, session, now, now - timedelta(days=2))
    if w % 9 == 7:
        app.cancel_session(group, session, "holiday", now)
        return
    absent = [m[2]] if w % 12 < 3 else []
    present = [m[0], m[1]] + ([] if absent else [m[2]])
    app.hold_session(group, session, now, present=present, absent=absent)
    app.mark_attendance(group, session, m[3], "present", now + timedelta(hours=1))
    if w % 4 == 2:
        app.correct_attendance(group, session, m[1], "excused", now + timedelta(hours=2))
    commitment = _id("commitment", g, w)
    if g % 4 == 1 and w % 6 == 4:  # settled before made: made bare, settled, then amended
        settle = (app.keep_commitment, app.miss_commitment, app.drop_commitment)[(w + 1) % 3]
        app.make_commitment(group, commitment, m[0], now)
        settle(group, commitment, now)
    app.make_commitment(group, commitment, m[0], now, session_id=session, due=now + WEEK)
    if w and (w - 1) % 9 != 7:
        keep = (app.keep_commitment, app.miss_commitment, app.drop_commitment)[w % 3]
        keep(group, _id("commitment", g, w - 1), now)
    if w % 5 == 3:
        app.mentor_check_in(group, m[3], now + timedelta(hours=3))
    if w % 10 == 5:
        app.pause_group(group, now + 2 * WEEK, "exams", now + timedelta(hours=4))
    if w % 10 == 6:
        app.resume_group(group, now + timedelta(hours=4))
    if w % 8 == 4:
        app.log_intervention(
            group,
            coordinator,
            ("call", "message", "meeting")[w % 3],
            now + timedelta(hours=5),
            note="checked in with the facilitator",
        )


def _close(app, g: int, program: UUID, now: datetime) -> None:
    group = _id("group", g)
    app.leave_member(group, _id("member", g, 3), now)
    app.forget_member(_id("member", g, 3), now)
    end = app.conclude_group if g % 2 else app.dissolve_group
    end(group, "cohort ended", now)


def record_history(app, events: int, groups_per_program: int = 8) -> int:
    """Record at least ``events`` domain events through ``app``; returns the last position."""
    groups = max(2, events // 220)
    programs = {}
    for g in range(groups):
        p = g // groups_per_program
        if p not in programs:
            programs[p] = _open_program(app, p, START)
        _form(app, programs[p], g, START)
    w = 0
    while (app.recorder.max_notification_id() or 0) < events - 3 * groups:
        now = START + w * WEEK
        with app.batch():
            for g in range(groups):
                coordinator = _id("coordinator", g // groups_per_program)
                _week(app, g, w, now + timedelta(minutes=g), coordinator)
            app.tick(now + timedelta(days=1))
        if w == 10:
            for program in programs.values():
                app.change_lapse_policy(program, 4, now)
        w += 1
    end = START + w * WEEK
    for p, program in programs.items():
        app.unassign_coordinator(program, _id("deputy", p), end)
    for g in range(groups):
        _close(app, g, programs[g // groups_per_program], end)
    return app.recorder.max_notification_id()


PARTITIONS = 3


def unique_topic(name: str) -> str:
    """A topic name no other test uses."""
    return f"test.{name}.{uuid.uuid4().hex[:10]}"


def relay_settings(settings, bootstrap: str, partitions: int = PARTITIONS):
    """The test's store settings pointed at ``bootstrap``."""
    return settings.model_copy(
        update={"kafka_bootstrap": bootstrap, "topic_partitions": partitions}
    )


def expected_records(app, partitions: int = PARTITIONS, quarantined: frozenset = frozenset()):
    """``{(partition, position): 1}`` for every record the store implies (``quarantined``:
    notification ids the relay sends to its DLQ instead)."""
    expected: Counter = Counter()
    last = app.recorder.max_notification_id() or 0
    for n in app.recorder.select_notifications(1, last):
        name = n.topic.rsplit(":", 1)[1]
        if name in NOT_PUBLISHED or n.id in quarantined:
            continue
        if name == "Clock.Ticked":
            expected.update((p, n.id) for p in range(partitions))
        else:
            expected[(partition_for(str(n.originator_id).encode(), partitions), n.id)] += 1
    return expected


def assert_published_exactly_once(
    app,
    bootstrap: str,
    topic: str,
    partitions: int = PARTITIONS,
    quarantined: frozenset = frozenset(),
) -> list:
    """Every stored event is on the topic once (ticks once per partition), in order."""
    records = read_all(bootstrap, topic, timeout=120)
    seen = Counter((r.partition, position_of(r.headers)) for r in records)
    duplicated = {k: v for k, v in seen.items() if v > 1}
    expected = expected_records(app, partitions, quarantined)
    assert not duplicated, f"{len(duplicated)} duplicated, e.g. {list(duplicated)[:5]}"
    missing = sorted(set(expected) - set(seen))
    assert not missing, f"{len(missing)} missing, e.g. {missing[:5]}"
    assert set(seen) == set(expected)
    last_position: dict[int, int] = defaultdict(int)
    last_version: dict[tuple[int, str], int] = {}
    for r in records:
        event, headers = decode(r.value), dict(r.headers)
        assert headers["pp-type"].decode() == event.type
        position = position_of(r.headers)
        assert position > last_position[r.partition], "positions go back within a partition"
        last_position[r.partition] = position
        version = int(headers["pp-aggregate-version"])
        assert version > last_version.get((r.partition, event.subject), 0)
        last_version[(r.partition, event.subject)] = version
    return records


REPO = Path(__file__).parents[2]


STARTED: list[subprocess.Popen] = []
"""Every relay :func:`start_relay` started; :func:`reap_relays` kills what a test left."""


@pytest.fixture(autouse=True)
def reap_relays():
    """Kill relays a failed test left running (their readers follow them); import it into
    every module that uses :func:`start_relay`."""
    yield
    reap(STARTED)


def reap(started: list[subprocess.Popen]) -> None:
    """Kill every process of ``started`` still running (woken first: a test may have left
    one SIGSTOPped), emptying the list."""
    while started:
        proc = started.pop()
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
            proc.kill()
            proc.wait(10)


def relay_env(settings, env: dict | None = None) -> dict[str, str]:
    """The process environment that makes peerpulse build ``settings`` (store and broker
    included), then ``env``."""
    from peerpulse.commands.up import settings_env

    return {**os.environ, "PYTHONPATH": str(REPO), **settings_env(settings), **(env or {})}


def start_relay(
    settings, topic: str, log: Path, *extra: str, env: dict | None = None, **popen
) -> subprocess.Popen:
    """``peerpulse relay`` as a child process, its stderr in ``log``.

    ``env`` adds to (or overrides) the PEERPULSE_* variables made from ``settings``;
    ``popen`` goes to :class:`subprocess.Popen` (e.g. ``start_new_session``).
    """
    cmd = [sys.executable, "-m", "peerpulse", "relay", "--topic", topic, *extra]
    proc = subprocess.Popen(
        cmd,
        cwd=log.parent,
        env=relay_env(settings, env),
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
        **popen,
    )
    STARTED.append(proc)
    return proc


def wait_for(log: Path, text: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until ``text`` appears in the child's log."""
    deadline = time.monotonic() + timeout
    while text not in log.read_text():
        assert proc.poll() is None, f"relay exited early: {log.read_text()[-2000:]}"
        assert time.monotonic() < deadline, f"no {text!r} in {log.read_text()[-2000:]}"
        time.sleep(0.01)


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def is_reader(pid: int) -> bool:
    """Whether ``pid`` is a multiprocessing child (not its resource tracker)."""
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def the_reader_of(proc) -> int:
    """The relay's reader process, once it exists (the other child, if any, is
    multiprocessing's resource tracker)."""
    deadline = time.monotonic() + 30
    while not (found := [pid for pid in children(proc.pid) if is_reader(pid)]):
        assert proc.poll() is None and time.monotonic() < deadline, "no reader process"
        time.sleep(0.05)
    assert len(found) == 1, f"the relay has {len(found)} reader processes"
    return found[0]


def errors(log: Path) -> list[str]:
    """The one-line errors ``peerpulse relay`` printed."""
    return [line for line in log.read_text().splitlines() if line.startswith("peerpulse relay:")]
