"""Several ``peerpulse worker`` processes share the 6-partition events topic by partition on
PostgreSQL (decision 0025): the read model ends as a single worker and a rebuild leave it,
also while workers and ingest processes are SIGKILLed at random moments, and a worker that
lost its partitions while paused writes nothing stale.

The whole pipeline runs as operators run it, each command a process logging to a file in
the test's directory: a simulated program (30 groups in 3 programs, as attendance messages
keyed by group) → ``peerpulse ingest`` → the event store → ``peerpulse relay`` → the events
topic → ``peerpulse worker``. Read models are compared table by table, row for row (the
dashboard tables; the checkpoint and projector states are each worker's bookkeeping).
Ownership is read from the checkpoint table, whose ``owner`` names the worker (``host
pid=N``) that last claimed each partition.
"""

from __future__ import annotations

import random
import signal
import statistics
import time
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest

from infra.topics import create_topics
from peerpulse.build import build
from projections.readmodel import tables as T
from projections.readmodel.store import ReadModel
from projections.worker.wire import ProjectionTopics
from tests.conftest import PG_DSN
from tests.integration.relay_kit import reap, reap_relays, start_relay  # noqa: F401 - autouse
from tests.integration.scale_kit import (
    PARTITIONS,
    Fleet,
    Paced,
    Publisher,
    apply_all,
    ends,
    fingerprint,
    jsonable,
    mismatches,
    reap_ingests,  # noqa: F401 - autouse clean-up
    reference,
    topics,
    wait_all_applied,
)
from tests.integration.worker_scale_kit import STARTED as WORKERS
from tests.integration.worker_scale_kit import (
    TAKEN,
    CheckpointWatch,
    FadingProgram,
    Workers,
    checkpoint_rows,
    differences,
    reap_workers,  # noqa: F401 - autouse clean-up
    rebuild_into,
    tables,
    wait_checkpoint,
    wait_projected,
    wait_relayed,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.postgres]

SESSION_TIMEOUT_MS = 6000
"""PEERPULSE_KAFKA_SESSION_TIMEOUT_MS of every process here: the default, as in the ingest
scale-out tests (a SIGKILLed worker is noticed after it; Tansu joins in about half of it)."""
OWNED_AGAIN_LIMIT_S = 15.0
"""The issue's limit, as for ingest: every partition owned by a live worker and consumed
past what was on it at the kill. Measured here (Tansu 0.6, 2 shared cores): 6.4-8.9 s after
a SIGKILL (the supervisor restarts the worker at once), 8.1-11.1 s after a SIGSTOP."""
KILLS = 5


@pytest.fixture
def schemas() -> Iterator[Callable[[], str]]:
    """Makes fresh PostgreSQL schemas (other read models), all dropped afterwards."""
    made: list[str] = []

    def make() -> str:
        made.append(f"t_{uuid.uuid4().hex[:12]}")
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{made[-1]}"')
        return made[-1]

    yield make
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        for name in made:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def on_broker(settings, bootstrap: str):
    return settings.model_copy(update={"kafka_bootstrap": bootstrap,
                                       "topic_partitions": PARTITIONS,
                                       "kafka_session_timeout_ms": SESSION_TIMEOUT_MS})  # fmt: skip


def launched(settings, program: FadingProgram):
    """A container on ``settings`` whose store already holds the programs (onboarded before
    any group meets, so no group message provisions its program first)."""
    container = build(settings)
    apply_all(container.app, [v for _, v in program.launches()])
    return container


def projection_topics(bootstrap: str) -> ProjectionTopics:
    """Fresh 6-partition events, group-health and alerts topics."""
    tag = uuid.uuid4().hex[:8]
    names = ProjectionTopics(f"ws{tag}.events", f"ws{tag}.health", f"ws{tag}.alerts")
    create_topics(bootstrap, PARTITIONS, names.catalogue())
    return names


def elsewhere(settings, schema: str, data_dir):
    """``settings`` with a read model (and store) of their own."""
    return settings.model_copy(update={"postgres_schema": schema, "data_dir": data_dir})


class Pipeline:
    """One program's run: attendance topic, ingest processes, a relay, workers, a store."""

    def __init__(self, settings, bootstrap: str, logs, weeks: int) -> None:
        self.settings, self.bootstrap, self.logs = settings, bootstrap, logs
        self.program = program = FadingProgram(groups=30, programs=3, weeks=weeks)
        self.topic, dlq = topics(bootstrap)
        self.names = projection_topics(bootstrap)
        self.store = launched(settings, program)
        self.publisher = Publisher(bootstrap, self.topic)
        self.ingests = Fleet(settings, self.topic, dlq, logs)
        self.workers = Workers(settings, self.names, logs)
        self.rm = ReadModel(settings).open()

    def start(self, ingests: int, workers: int) -> None:
        for _ in range(ingests):
            self.ingests.start()
        start_relay(self.settings, self.names.events, self.logs / "relay.log")
        for _ in range(workers):
            self.workers.start()

    def caught_up(self, *others: tuple) -> None:
        """Until every message published is ingested, relayed and projected (also by
        ``others``: (read model, workers) pairs on the same events topic)."""
        wait_all_applied(self.store.app, self.bootstrap, self.topic, [self.ingests])
        wait_relayed(self.store.app, self.bootstrap, self.names.events)
        offsets = ends(self.bootstrap, self.names.events)
        for rm, workers in ((self.rm, self.workers), *others):
            wait_projected(rm, self.names.events, offsets, [workers])

    def owners(self) -> dict[int, int | None]:
        return {p: pid for p, (_, pid) in checkpoint_rows(self.rm, self.names.events).items()}

    def stop(self) -> None:
        self.ingests.stop()
        self.workers.stop()

    def close(self) -> None:
        reap(WORKERS)  # now: a worker SIGSTOPped mid-transaction would block the schema's DROP
        self.publisher.close()
        self.store.close()
        self.rm.close()


def assert_same(got, want, what: str) -> None:
    wrong = differences(got, want)
    assert not wrong, f"{len(wrong)} tables differ from {what}:\n" + "\n".join(wrong)


def rebuilt(run: Pipeline, settings) -> dict[str, list[tuple]]:
    """The read model ``peerpulse rebuild`` makes of the events topic, in ``settings``."""
    rebuild_into(settings, run.names, run.logs / "rebuild.log")
    made = tables(settings)
    level = list(T.LEVEL_HISTORY.columns).index("level")
    levels = {row[level] for row in made["level_history"]}
    sizes = {name: len(rows) for name, rows in made.items()}
    assert len(made["group_health"]) == run.program.groups and made["flag_episodes"], sizes
    assert {"at_risk", "dormant"} <= levels, levels  # the comparison covers levels that move
    return made


def test_three_workers_and_two_ingests_leave_the_read_model_a_single_worker_and_a_rebuild_leave(
    postgres_settings, schemas, kafka_bootstrap, tmp_path
):
    shared = on_broker(postgres_settings, kafka_bootstrap)
    run = Pipeline(shared, kafka_bootstrap, tmp_path, weeks=16)
    single = elsewhere(shared, schemas(), tmp_path / "single")
    alone = Workers(single, run.names, tmp_path, name="alone")
    alone_rm = ReadModel(single).open()
    try:
        run.publisher.send(run.program.weeks_of(0, 6))  # a backlog before anyone runs
        run.start(ingests=2, workers=3)
        alone.start()
        paced = Paced(run.publisher, run.program.weeks_of(6, 16), chunk=80, pause=0.1)
        paced.start()  # and the rest while they run
        paced.finish()
        run.caught_up((alone_rm, alone))
        owners, pids = run.owners(), {w.pid for w in run.workers.procs}
        assert_status_names_the_workers(shared, run.names.events, pids)
        run.stop()
        alone.stop()
        want = rebuilt(run, elsewhere(shared, schemas(), tmp_path / "rebuilt"))
        assert_same(tables(single), want, "the rebuild (single worker)")
        assert_same(tables(shared), want, "the rebuild (three workers)")
        assert set(owners) == set(range(PARTITIONS)), owners
        assert set(owners.values()) <= pids and len(set(owners.values())) > 1, (owners, pids)
        assert not run.workers.restarted, run.workers.output()
    finally:
        alone_rm.close()
        run.close()


def assert_status_names_the_workers(settings, topic: str, pids: set[int]) -> None:
    """``peerpulse status`` lists the three workers and names one of them as the owner of
    every partition (from the claims in the checkpoint)."""
    from peerpulse.pipeline import status_reader

    parts = build(settings)
    try:
        (worker,) = status_reader(parts, {"projections": topic}).read(["worker"]).roles
    finally:
        parts.close()
    assert {h.pid for h in worker.processes} == pids, worker
    owners = {p.partition: p.owner.pid if p.owner else None for p in worker.partitions}
    assert set(owners) == set(range(PARTITIONS)) and set(owners.values()) <= pids, owners
    assert worker.owns == f"{PARTITIONS} shared by 3" and worker.lag_events == 0, worker


def owned_again(run: Pipeline, backlog: dict[int, int], killed: float) -> float:
    """Seconds from ``killed`` until every partition's owner is a live worker and every
    partition is consumed past ``backlog`` (what was on it at the kill)."""

    def served(at: dict) -> bool:
        live = {w.pid for w in run.workers.live()}
        return len(at) == PARTITIONS and all(
            pid in live and offset >= backlog[p] for p, (offset, pid) in at.items()
        )

    wait_checkpoint(run.rm, run.names.events, served, [run.workers], 60, "live owners")
    return time.monotonic() - killed


def test_workers_killed_at_random_moments_lose_and_repeat_nothing(
    postgres_settings, schemas, kafka_bootstrap, tmp_path, record_property
):
    shared = on_broker(postgres_settings, kafka_bootstrap)
    run = Pipeline(shared, kafka_bootstrap, tmp_path, weeks=24)
    rng, took, during = random.Random(20261206), [], []
    kills = ["worker", "ingest"] * KILLS
    rng.shuffle(kills)
    watch = CheckpointWatch(shared, run.names.events)
    try:
        run.publisher.send(run.program.weeks_of(0, 2))
        run.start(ingests=2, workers=3)
        run.caught_up()
        watch.start()
        paced = Paced(run.publisher, run.program.weeks_of(2, 24), chunk=15, pause=0.3)
        paced.start()
        for what in kills:
            time.sleep(rng.uniform(0.2, 2.5))  # a random moment (of a run that is going on)
            during.append(not paced.done.is_set())
            fleet = run.ingests if what == "ingest" else run.workers
            fleet.kill(rng.choice(fleet.live()))
            killed, backlog = time.monotonic(), ends(kafka_bootstrap, run.names.events)
            fleet.start()  # what a supervisor does
            if what == "worker":
                took.append(owned_again(run, backlog, killed))
        paced.finish(timeout=300)
        run.caught_up()
        run.stop()
        watch.stop()
        ids = run.program.ids()  # the store: every message applied once, in order
        published = [v for _, v in run.program.launches()] + run.publisher.sent
        wrong = mismatches(fingerprint(run.store.app, ids), fingerprint(reference(published), ids))
        assert not wrong, f"{len(wrong)} aggregates differ from applying every message once:\n" + (
            "\n".join(wrong[:5])
        )
        want = rebuilt(run, elsewhere(shared, schemas(), tmp_path / "rebuilt"))
        assert_same(tables(shared), want, "the rebuild")
        figures = (f"every partition owned by a live worker and consumed again after SIGKILL, "
                   f"seconds: {jsonable(took)}, max {max(took):.2f}, median "
                   f"{statistics.median(took):.2f} (session timeout {SESSION_TIMEOUT_MS} ms; "
                   f"{sum(during)} of {len(kills)} kills while publishing; "
                   f"{len(run.workers.restarted)} fenced exits restarted)")  # fmt: skip
        record_property("owned_again_s", jsonable(took))
        print(figures)
        assert not watch.backwards, watch.backwards
        assert len(took) == KILLS and max(took) < OWNED_AGAIN_LIMIT_S, figures
        assert sum(during) >= len(kills) - 2, "most kills must come while messages are published"
    finally:
        watch.stop()
        run.close()


def test_a_worker_paused_past_its_session_writes_nothing_stale(
    postgres_settings, schemas, kafka_bootstrap, tmp_path, record_property
):
    shared = on_broker(postgres_settings, kafka_bootstrap)
    run = Pipeline(shared, kafka_bootstrap, tmp_path, weeks=16)
    watch = CheckpointWatch(shared, run.names.events)
    try:
        run.publisher.send(run.program.weeks_of(0, 3))
        run.start(ingests=1, workers=2)
        paused, other = run.workers.procs
        watch.start()
        run.caught_up()
        wait_checkpoint(run.rm, run.names.events, lambda at: {pid for _, pid in at.values()}
                        == {paused.pid, other.pid}, [run.workers], 60, "two owners")  # fmt: skip
        before = checkpoint_rows(run.rm, run.names.events)
        mine = {p for p, (_, pid) in before.items() if pid == paused.pid}
        # events flow; SIGSTOP as soon as the paused worker has written a batch of them
        paced = Paced(run.publisher, run.program.weeks_of(3, 16), chunk=10, pause=0.2)
        paced.start()
        wait_checkpoint(run.rm, run.names.events, lambda at: any(
            at[p][0] > before[p][0] for p in mine), [run.workers], 60, "the flow")  # fmt: skip
        paused.proc.send_signal(signal.SIGSTOP)
        stopped, at_stop = time.monotonic(), checkpoint_rows(run.rm, run.names.events)
        wait_checkpoint(run.rm, run.names.events, lambda at: all(
            pid == other.pid and (p not in mine or offset > at_stop[p][0])
            for p, (offset, pid) in at.items()), [run.workers], 60, "taken over")  # fmt: skip
        took = time.monotonic() - stopped
        assert not paced.done.is_set(), "events must still flow when the paused worker resumes"
        paused.proc.send_signal(signal.SIGCONT)  # fenced out, or back with partitions claimed
        wait_checkpoint(run.rm, run.names.events, lambda at: paused.proc.poll() is not None
                        or paused.pid in {pid for _, pid in at.values()},
                        [run.workers], 60, "the resumed worker out or back")  # fmt: skip
        paced.finish()
        run.caught_up()
        run.stop()
        watch.stop()
        want = rebuilt(run, elsewhere(shared, schemas(), tmp_path / "rebuilt"))
        assert_same(tables(shared), want, "the rebuild")
        code, said = paused.proc.returncode, TAKEN in paused.text()
        outcome = (f"taken over {took:.2f} s after SIGSTOP; the resumed worker exited {code}"
                   + (" saying a partition " + TAKEN if said else ""))  # fmt: skip
        record_property("paused_outcome", outcome)
        print(outcome, f"({watch.samples} checkpoint samples)")
        assert not watch.backwards, watch.backwards
        assert (code == 3 and said) or (code == 0 and not said), outcome + run.workers.output()
        assert "Traceback" not in paused.text(), paused.text()[-3000:]
        assert took < OWNED_AGAIN_LIMIT_S, outcome
    finally:
        watch.stop()
        run.close()
