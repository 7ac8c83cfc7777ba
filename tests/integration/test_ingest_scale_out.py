"""Several ``peerpulse ingest`` processes share one 6-partition topic on PostgreSQL (a Kafka
consumer group; each owns some partitions): the store ends as a single process leaves it,
also while processes are SIGKILLed at random moments, and a process that lost its
partitions while paused writes nothing stale.

Every process runs as the operator runs it, ``python -m peerpulse ingest``, logging to a file
in the test's directory. A program of 30 groups in 3 programs over 16 weeks (rosters,
sessions scheduled, held and cancelled, marks and corrections, commitments made, kept and
missed, pauses) is published keyed by group, so each group lives on one partition. What a
store holds is compared aggregate by aggregate: each event's type, version, event time and
domain payload. Ownership is measured functionally: after a kill the test publishes one
*marker* to every partition (a session of a probe group that lives there) and times how
long until all six are applied, i.e. every partition is consumed again.
"""

from __future__ import annotations

import random
import signal
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from peerpulse.build import build
from tests.conftest import PG_DSN
from tests.integration.relay_kit import reap
from tests.integration.scale_kit import (
    PARTITIONS,
    Fleet,
    Paced,
    Program,
    Publisher,
    apply_all,
    change_lapse_policy,
    dead_letters,
    fingerprint,
    histogram,
    jsonable,
    mismatches,
    probe_ids,
    probe_roster,
    reap_ingests,  # noqa: F401 - autouse clean-up
    reference,
    ticks,
    topics,
    wait_all_applied,
    wait_applied,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.postgres]

OWNED_AGAIN_LIMIT_S = 15.0
"""The issue's limit. Measured on the embedded broker (Tansu 0.6, 2 cores) with the default
6 s session timeout (``PEERPULSE_KAFKA_SESSION_TIMEOUT_MS``): every partition consumed again
4.4-11.9 s after a SIGKILL (a supervisor restarts the process at once, whose join brings the
rebalance forward), 9-11 s after a SIGSTOP (the session must expire first)."""
KILLS = 5
TAKEN_OVER = "taken over"


@pytest.fixture
def other_schema() -> Iterator[str]:
    """A second fresh PostgreSQL schema (the single-process run's store), dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def on_broker(settings, bootstrap: str):
    return settings.model_copy(update={"kafka_bootstrap": bootstrap,
                                       "topic_partitions": PARTITIONS})  # fmt: skip


def launched(settings, program: Program):
    """A container on ``settings`` whose store already holds the programs.

    Programs are launched in the store before any group message is consumed (as an operator
    onboards a program before its groups meet): a group message consumed before its
    program's launch provisions the program, and which of two partitions is consumed first
    is not defined even for one process, so the comparison would depend on timing.
    """
    container = build(settings)
    apply_all(container.app, [v for _, v in program.launches()])
    return container


def everything(program: Program, publisher: Publisher) -> list[bytes]:
    """The programs' launches, then every message published, in order."""
    return [v for _, v in program.launches()] + publisher.sent


def assert_same_events(got: dict, want: dict, what: str) -> None:
    wrong = mismatches(got, want)
    assert not wrong, f"{len(wrong)} aggregates differ from {what}:\n" + "\n".join(wrong[:5])


def assert_exactly_once(app, program: Program, publisher: Publisher) -> dict:
    """Every program, group and probe group holds the events of applying every published
    message once, in order (nothing lost, nothing twice, nothing stale); returns them."""
    ids = program.ids() | probe_ids()
    got = fingerprint(app, ids)
    assert_same_events(got, fingerprint(reference(everything(program, publisher)), ids),
                       "applying every message once")  # fmt: skip
    return got


def settle(fleet: Fleet, publisher: Publisher, app, topic: str, since: dict | None = None,
           timeout: float = 60) -> None:  # fmt: skip
    """Until every live process applied a message (``since``: more than it had then), so
    each owns partitions: a marker round on every partition at a time."""
    since = since or {}
    deadline = time.monotonic() + timeout
    while True:
        wait_applied(app, topic, publisher.mark_all(), [fleet])
        counts = {i.pid: i.applied() for i in fleet.live()}
        if all(c is not None and c > since.get(pid, 0) for pid, c in counts.items()):
            return
        assert time.monotonic() < deadline, f"applied {counts}:\n{fleet.output()}"
        time.sleep(0.3)


def assert_status_names_both(settings, topic: str, fleet: Fleet) -> None:
    """``peerpulse status`` lists both processes and names an owner for every partition,
    each one of them (from the rows of the shared watermark)."""
    from peerpulse.pipeline import status_reader

    parts = build(settings)
    try:
        (ingest,) = status_reader(parts, {"ingest": topic}).read(["ingest"]).roles
    finally:
        parts.close()
    pids = {i.pid for i in fleet.live()}
    assert {h.pid for h in ingest.processes} == pids, ingest
    owners = {p.partition: p.owner.pid if p.owner else None for p in ingest.partitions}
    assert set(owners) == set(range(PARTITIONS)) and set(owners.values()) == pids, owners
    assert ingest.owns == f"{PARTITIONS} shared by 2"


def test_two_ingest_processes_leave_the_store_a_single_process_leaves(
    postgres_settings, other_schema, kafka_bootstrap, tmp_path
):
    program = Program(groups=30, programs=3, weeks=16)
    topic, dlq = topics(kafka_bootstrap)
    shared = on_broker(postgres_settings, kafka_bootstrap)
    single = shared.model_copy(update={"postgres_schema": other_schema,
                                       "data_dir": tmp_path / "single"})  # fmt: skip
    two_store, one_store = launched(shared, program), launched(single, program)
    publisher = Publisher(kafka_bootstrap, topic)
    pair = Fleet(shared, topic, dlq, tmp_path, name="pair")
    alone = Fleet(single, topic, dlq, tmp_path, name="alone")
    fleets = [pair, alone]
    try:
        publisher.send(program.weeks_of(0, 8))  # a backlog before anyone runs
        for fleet, count in ((pair, 2), (alone, 1)):
            for _ in range(count):
                fleet.start()
        for store in (two_store, one_store):
            wait_all_applied(store.app, kafka_bootstrap, topic, fleets)
        pair.wait_applying()  # both share the partitions
        assert_status_names_both(shared, topic, pair)
        # Program p0 lowers its lapse policy; later marks of its groups, on partitions of
        # both processes, must be judged with it (a process must not keep an old copy).
        publisher.send([(b"p0", change_lapse_policy("p0", 2, at=7 * 8))])
        for store in (two_store, one_store):
            wait_all_applied(store.app, kafka_bootstrap, topic, fleets)
        paced = Paced(publisher, program.weeks_of(8, 16), chunk=80, pause=0.1)
        paced.start()  # and the rest while they run
        paced.finish()
        for store in (two_store, one_store):
            wait_all_applied(store.app, kafka_bootstrap, topic, fleets)
        pair.stop()
        alone.stop()
        ids = program.ids()
        two, one = fingerprint(two_store.app, ids), fingerprint(one_store.app, ids)
        assert_same_events(one, fingerprint(reference(everything(program, publisher)), ids),
                           "applying in order")  # fmt: skip
        # the scenario can tell a stale lapse policy: without the change, groups differ
        unchanged = [v for v in everything(program, publisher) if b"program.changed" not in v]
        assert mismatches(fingerprint(reference(unchanged), ids), one), "lapse policy unused"
        assert histogram(two_store.app, ids)["SessionHeld"] > 300
        problems = []
        # The clock is left out above: its first tick comes with the first batch's watermark,
        # so how many ticks there are depends on batching. Both runs must tick every 6-hour
        # boundary once, in order, and end at the boundary of the newest event.
        two_ticks, one_ticks = ticks(two_store.app), ticks(one_store.app)
        if not two_ticks or two_ticks[-1] != one_ticks[-1]:
            problems.append(
                f"the clock stands at {two_ticks[-1:]}, a single process's at {one_ticks[-1:]} "
                f"({len(two_ticks)} and {len(one_ticks)} ticks)"
            )
        steps = {b - a for a, b in zip(two_ticks, two_ticks[1:], strict=False)}
        if len(steps) > 1:
            problems.append(f"ticks are not consecutive boundaries: steps {sorted(steps)}")
        problems += [f"differs from the single-process run: {m}" for m in mismatches(two, one)]
        assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:6])
        assert dead_letters(kafka_bootstrap, dlq) == 0
        for i in pair.procs:
            assert TAKEN_OVER not in i.text(), i.text()[-2000:]
    finally:
        publisher.close()
        two_store.close()
        one_store.close()


def test_ingest_processes_killed_at_random_moments_lose_and_repeat_nothing(
    postgres_settings, kafka_bootstrap, tmp_path
):
    program = Program(groups=30, programs=3, weeks=16)
    topic, dlq = topics(kafka_bootstrap)
    settings = on_broker(postgres_settings, kafka_bootstrap)
    store = launched(settings, program)
    publisher = Publisher(kafka_bootstrap, topic)
    fleet = Fleet(settings, topic, dlq, tmp_path)
    rng, took, publishing = random.Random(20261206), [], []
    try:
        publisher.to_partitions({p: probe_roster(p) for p in range(PARTITIONS)})
        publisher.send(program.weeks_of(0, 3))
        fleet.start()
        fleet.start()
        settle(fleet, publisher, store.app, topic)
        paced = Paced(publisher, program.weeks_of(3, 16), chunk=15, pause=0.25)
        paced.start()
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.2, 2.5))  # a random moment (of a run that is going on)
            victim = rng.choice(fleet.live())
            publishing.append(not paced.done.is_set())
            fleet.kill(victim)
            killed = time.monotonic()
            fleet.start()  # what a supervisor does
            wait_applied(store.app, topic, publisher.mark_all(), [fleet], timeout=60)
            took.append(time.monotonic() - killed)
            settle(fleet, publisher, store.app, topic)  # the new one owns partitions too
        paced.finish()
        wait_all_applied(store.app, kafka_bootstrap, topic, [fleet])
        fleet.stop()
        assert_exactly_once(store.app, program, publisher)
        assert dead_letters(kafka_bootstrap, dlq) == 0
        print(f"every partition consumed again after SIGKILL, seconds: {jsonable(took)} "
              f"(publishing during {sum(publishing)} of the {KILLS} kills)")  # fmt: skip
        assert len(took) == KILLS and max(took) < OWNED_AGAIN_LIMIT_S, jsonable(took)
        assert sum(publishing) >= 3, "most kills must come while messages are published"
    finally:
        publisher.close()
        store.close()


def test_a_process_paused_past_its_session_writes_nothing_stale(
    postgres_settings, kafka_bootstrap, tmp_path
):
    program = Program(groups=30, programs=3, weeks=16)
    topic, dlq = topics(kafka_bootstrap)
    settings = on_broker(postgres_settings, kafka_bootstrap)
    store = launched(settings, program)
    publisher = Publisher(kafka_bootstrap, topic)
    fleet = Fleet(settings, topic, dlq, tmp_path, max_records=100)
    try:
        publisher.to_partitions({p: probe_roster(p) for p in range(PARTITIONS)})
        publisher.send(program.weeks_of(0, 3))
        paused, other = fleet.start(), fleet.start()
        settle(fleet, publisher, store.app, topic)
        before = paused.applied()
        # a burst, then SIGSTOP while the paused process most likely has a batch in hand
        publisher.send(program.weeks_of(3, 7))
        paused.proc.send_signal(signal.SIGSTOP)
        stopped = time.monotonic()
        # the other process takes every partition over (past the session timeout) ...
        wait_applied(store.app, topic, publisher.mark_all(), [fleet], timeout=60)
        took = time.monotonic() - stopped
        # ... and applies more while the paused one still holds what it had fetched
        publisher.send(program.weeks_of(7, 11))
        wait_all_applied(store.app, kafka_bootstrap, topic, [fleet])
        held_before = fingerprint(store.app, program.ids())
        paused.proc.send_signal(signal.SIGCONT)
        publisher.send(program.weeks_of(11, 16))
        settle(fleet, publisher, store.app, topic, since={paused.pid: before or 0})
        wait_all_applied(store.app, kafka_bootstrap, topic, [fleet])
        fleet.stop()
        after = assert_exactly_once(store.app, program, publisher)
        for group, events in held_before.items():  # what was there before SIGCONT is intact
            assert after[group][: len(events)] == events, group
        assert dead_letters(kafka_bootstrap, dlq) == 0
        said = TAKEN_OVER in paused.text()
        print(f"taken over {took:.2f} s after SIGSTOP; the paused process "
              + ("logged 'taken over'" if said else "had no batch in hand to fail"))  # fmt: skip
        assert TAKEN_OVER not in other.text(), other.text()[-2000:]
        assert "Traceback" not in paused.text(), paused.text()[-3000:]
        assert took < OWNED_AGAIN_LIMIT_S, f"partitions taken over after {took:.2f} s"
    finally:
        reap([i.proc for i in fleet.procs])  # a stopped one would hold the schema's drop up
        publisher.close()
        store.close()


def test_one_ingest_process_applies_the_program_exactly(
    postgres_settings, kafka_bootstrap, tmp_path
):
    """The harness on its own: one process, the whole program, nothing else going on."""
    program = Program(groups=12, programs=3, weeks=8)
    topic, dlq = topics(kafka_bootstrap)
    settings = on_broker(postgres_settings, kafka_bootstrap)
    store = launched(settings, program)
    publisher = Publisher(kafka_bootstrap, topic)
    fleet = Fleet(settings, topic, dlq, tmp_path)
    try:
        publisher.to_partitions({p: probe_roster(p) for p in range(PARTITIONS)})
        publisher.send(program.weeks_of(0, 4))
        fleet.start()
        publisher.send(program.weeks_of(4, 8))
        wait_all_applied(store.app, kafka_bootstrap, topic, [fleet])
        fleet.stop()
        assert_exactly_once(store.app, program, publisher)
        assert histogram(store.app, {"g00": program.ids()["g00"]})["SessionHeld"] >= 6
    finally:
        publisher.close()
        store.close()
