"""Projection workers sharing the events topic by partition (decision 0025), without Kafka:
runners fed their partitions' records write what one runner writes, a rebalance hands the
states over through the read model, a claim fences out the previous owner, and only the
owner of partition 0 exports the per-program gauges."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from benchmarks._projection_events import history
from infra import metrics
from projections.engine import Outputs, Projector
from projections.readmodel import store
from projections.readmodel import tables as T
from projections.readmodel.batch import Batch
from projections.readmodel.store import ReadModel, TakenOver
from projections.worker.observe import LEVEL_COLUMNS, Observer
from projections.worker.runner import ProjectionRunner
from tests.unit.projections.builder import T0, cloudevent

TOPIC = "peerpulse.events.v1"
PARTITIONS = 4
EVERY = set(range(PARTITIONS))
BATCH = 150


@dataclass(frozen=True)
class Record:
    """One record of the events topic as the consumer hands it to ``handle``."""

    value: bytes
    headers: list[tuple[str, bytes]]
    partition: int
    offset: int


@pytest.fixture(scope="module")
def records() -> list[Record]:
    """48 groups over 14 weeks in 20 programs (about 5,000 records) in time order, spread
    by key over 4 partitions as a keyed producer would; each partition gets every tick."""
    offsets, out = [0] * PARTITIONS, []
    for key, value, headers, partition in history(48, weeks=14, partitions=PARTITIONS):
        part = zlib.crc32(key) % PARTITIONS if partition is None else partition
        out.append(Record(value, headers, part, offsets[part]))
        offsets[part] += 1
    return out


@pytest.fixture
def models(store_settings) -> Iterator[Callable[[], ReadModel]]:
    """Opens connections to one read model (one per worker, as separate processes have)."""
    opened: list[ReadModel] = []

    def connect() -> ReadModel:
        opened.append(ReadModel(store_settings).open())
        return opened[-1]

    yield connect
    for rm in opened:
        rm.close()


def commit(runner: ProjectionRunner, chunk: list[Record], then: Callable | None = None) -> None:
    """One batch as the worker's agent runs it: handle, drain (publish), commit."""
    for r in chunk:
        runner.handle(r.value, r.headers, r.partition, r.offset)
    out = runner.drain()
    runner.commit()
    if then is not None:
        then(runner, out)


def feed(
    runners: list[ProjectionRunner], records: list[Record], then: Callable | None = None
) -> None:
    """Each runner gets the records of the partitions it owns (all, if it owns no set) in
    batches, the runners taking turns batch by batch."""
    streams = [
        [r for r in records if runner.owned is None or r.partition in runner.owned]
        for runner in runners
    ]
    for i in range(0, max(map(len, streams)), BATCH):
        for runner, stream in zip(runners, streams, strict=True):
            if stream[i : i + BATCH]:
                commit(runner, stream[i : i + BATCH], then)


def shared(rm: ReadModel, partitions: set[int], owner: str) -> ProjectionRunner:
    runner = ProjectionRunner(rm, TOPIC, restore=False)
    runner.assign(partitions, owner)
    return runner


def tables(rm: ReadModel, which: tuple[T.Table, ...] = T.READ_MODEL) -> dict[str, list[tuple]]:
    return {t.name: rm.rows(t) for t in which}


def alone(rm: ReadModel, records: list[Record]) -> dict[str, list[tuple]]:
    """The read model one classic runner (restore=True) writes from all the records; the
    model is emptied afterwards for the next way of writing it."""
    feed([ProjectionRunner(rm, TOPIC)], records)
    written = tables(rm)
    assert all(written[t.name] for t in T.READ_MODEL), "the history must fill every table"
    rm.reset()
    return written


def assert_same(got: dict[str, list[tuple]], expected: dict[str, list[tuple]]) -> None:
    for t in T.READ_MODEL:
        assert got[t.name] == expected[t.name], t.name


def reached(records: list[Record], partitions: set[int]) -> dict[int, int]:
    """The next offset of each partition after ``records``."""
    ends = dict.fromkeys(partitions, 0)
    for r in records:
        if r.partition in partitions:
            ends[r.partition] = r.offset + 1
    return ends


def held(p: Projector) -> dict[str, dict]:
    """The states a projector keeps in memory, with the partition that made each."""
    return {
        "groups": {g: s.partition for g, s in p.groups.items()},
        "programs": {i: p.program_partition.get(i) for i in p.programs},
        "clocks": dict(p.clock),
    }


def of(holding: dict[str, dict], partitions: set[int]) -> dict[str, dict]:
    """The part of :func:`held` made by ``partitions``."""
    return {
        "groups": {g: x for g, x in holding["groups"].items() if x in partitions},
        "programs": {i: x for i, x in holding["programs"].items() if x in partitions},
        "clocks": {x: c for x, c in holding["clocks"].items() if x in partitions},
    }


def partitions_in(p: Projector) -> set[int | None]:
    """Every partition the projector's memory refers to (None: a program of no partition)."""
    h = held(p)
    return {*h["groups"].values(), *h["programs"].values(), *h["clocks"]} | {
        *p.by_partition,
        *p.wakeups,
    }


def test_runners_owning_halves_of_the_partitions_write_what_one_runner_writes(models, records):
    rm = models()
    expected = alone(rm, records)

    whole = ProjectionRunner(rm, TOPIC, restore=False)
    assert whole.assign(EVERY, "whole") == dict.fromkeys(EVERY, 0)
    feed([whole], records)
    assert_same(tables(rm), expected)
    rm.reset()

    a, b = shared(models(), {0, 1}, "a"), shared(models(), {2, 3}, "b")
    feed([a, b], records)
    assert_same(tables(rm), expected)
    assert rm.checkpoint(TOPIC) == reached(records, EVERY)
    assert rm.owners(TOPIC) == {0: "a", 1: "a", 2: "b", 3: "b"}


def test_a_rebalance_hands_partitions_over_through_the_read_model(models, records):
    rm = models()
    expected = alone(rm, records)
    half = len(records) // 2
    a = shared(models(), EVERY, "a")
    feed([a], records[:half])
    before = held(a.projector)
    assert partitions_in(a.projector) == EVERY

    kept = {g: s for g, s in a.projector.groups.items() if s.partition in {0, 1}}
    assert a.assign({0, 1}, "a") == reached(records[:half], {0, 1})
    assert all(a.projector.groups[g] is s for g, s in kept.items()), "kept in memory, not reloaded"
    b = ProjectionRunner(models(), TOPIC, restore=False)
    seek = b.assign({2, 3}, "b")
    assert seek == reached(records[:half], {2, 3})
    assert a.positions == reached(records[:half], {0, 1})
    assert held(a.projector) == of(before, {0, 1}) and partitions_in(a.projector) == {0, 1}
    assert held(b.projector) == of(before, {2, 3}) and partitions_in(b.projector) == {2, 3}

    rest = [r for r in records if r.offset >= {**a.positions, **seek}[r.partition]]
    feed([a, b], rest)
    assert_same(tables(rm), expected)
    assert partitions_in(a.projector) == {0, 1} and partitions_in(b.projector) == {2, 3}


def test_partitions_moving_back_and_forth_every_few_batches_change_nothing(models, records):
    rm = models()
    expected = alone(rm, records)
    a = ProjectionRunner(models(), TOPIC, restore=False)
    b = ProjectionRunner(models(), TOPIC, restore=False)
    for start in range(0, len(records), BATCH):
        turn = start // (3 * BATCH)
        ours = {p for p in EVERY if (p + turn) % PARTITIONS < 2}  # A: two, B: the others
        for runner, parts in ((a, ours), (b, EVERY - ours)):
            seek = runner.assign(parts, f"runner-{id(runner)}")
            assert seek == reached(records[:start], set(seek))
        for runner in (a, b):  # each takes only its partitions' records of the slice
            commit(runner, records[start : start + BATCH])
    assert_same(tables(rm), expected)
    assert rm.checkpoint(TOPIC) == reached(records, EVERY)


def test_a_claimed_partition_fences_out_its_previous_owner(models, records):
    mine = [r for r in records if r.partition in {0, 1}]
    a = shared(models(), {0, 1}, "a")
    feed([a], mine[:BATCH])
    b = ProjectionRunner(models(), TOPIC, restore=False)
    seek = b.assign({1}, "b")
    assert seek == {1: a.positions[1]} and b.epochs[1] > a.epochs[1]
    rm = models()
    everything = tables(rm, T.ALL_TABLES)
    positions = dict(a.positions)

    nxt = mine[BATCH : 2 * BATCH]
    assert {r.partition for r in nxt} == {0, 1}
    for r in nxt:
        a.handle(r.value, r.headers, r.partition, r.offset)
    a.drain()
    assert a.batch.upserts and a.projector.dirty  # rows and states to write
    with pytest.raises(TakenOver) as taken:
        a.commit()
    assert taken.value.partition == 1
    assert tables(rm, T.ALL_TABLES) == everything  # partition 0's position rolled back too
    assert a.positions == positions

    feed([b], [r for r in mine if r.partition == 1 and r.offset >= seek[1]])
    assert rm.rows(T.CHECKPOINT) == [
        (TOPIC, 0, positions[0], a.epochs[0], "a"),
        (TOPIC, 1, reached(records, {1})[1], b.epochs[1], "b"),
    ]


def test_an_owner_that_gets_back_a_partition_claimed_meanwhile_reloads_it(models, records):
    """A worker whose session lapsed is assigned its partition again after another worker
    claimed it and moved it on: the states it kept are stale, so it restores them from the
    read model, resumes at the other's checkpoint and its next batch is not fenced."""
    rm = models()
    part0 = [r for r in records if r.partition == 0]
    expected = alone(rm, part0)
    a = shared(models(), {0}, "a")
    feed([a], part0[:BATCH])
    b = shared(models(), {0}, "b")
    feed([b], [r for r in part0[BATCH : 2 * BATCH]])
    stale = dict(a.projector.groups)
    seek = a.assign({0}, "a")
    assert seek == reached(part0[: 2 * BATCH], {0})
    assert any(a.projector.groups[g] is not s for g, s in stale.items()), "reloaded"
    feed([a], [r for r in part0 if r.offset >= seek[0]])
    assert_same(tables(rm), expected)


def _ignored(offset: int) -> Record:
    """A well-formed event of a type the projections ignore: a position, no state."""
    doc = cloudevent("survey.answered", "survey-1", offset + 1, T0, answer=offset)
    return Record(json.dumps(doc).encode(), [], 0, offset)


def test_a_model_is_stale_only_if_its_states_cannot_resume_its_positions(
    models, records, monkeypatch
):
    rm = models()
    assert not rm.stale()
    feed([ProjectionRunner(rm, TOPIC)], records[:BATCH])
    assert rm.checkpoint(TOPIC) and not rm.stale()
    rm.reset()
    feed([shared(rm, EVERY, "a")], records[: 3 * BATCH])
    assert not rm.stale()
    monkeypatch.setattr(store, "STATE_FORMAT", store.STATE_FORMAT + 1)
    assert rm.stale()  # the next release's states changed shape
    monkeypatch.undo()
    rm.begin_rebuild()
    assert rm.stale()

    rm.reset()
    old = Batch(checkpoint={(TOPIC, 0): 0}, states={("group", "g"): b"old"})
    rm.write(old, state_format=store.STATE_FORMAT - 1)
    assert not rm.stale()  # nothing read yet: nothing to resume
    old.checkpoint[(TOPIC, 0)] = 9
    rm.write(old, state_format=store.STATE_FORMAT - 1)
    assert rm.stale()

    rm.reset()
    runner = shared(rm, {0}, "a")
    commit(runner, [_ignored(i) for i in range(3)])
    assert rm.checkpoint(TOPIC) == {0: 3} and list(rm.states()) == []
    assert not rm.stale()


def exported() -> dict[tuple[str, str], float]:
    (family,) = metrics.PROJECTION_GROUPS.collect()
    return {(s.labels["program"], s.labels["level"]): s.value for s in family.samples}


def rollup(rm: ReadModel) -> dict[tuple[str, str], int]:
    cols = tuple(T.PROGRAM_ROLLUP.columns)
    rows = [dict(zip(cols, row, strict=True)) for row in rm.rows(T.PROGRAM_ROLLUP)]
    return {(r["program_id"], level): r[level] or 0 for r in rows for level in LEVEL_COLUMNS}


def test_only_the_owner_of_partition_0_exports_the_program_gauges(models, records):
    rm = models()
    a, b = shared(models(), {0, 1}, "a"), shared(models(), {2, 3}, "b")
    observers = {a: Observer(), b: Observer()}
    observers[b].owned(b)
    assert exported() == {}
    observers[a].owned(a)
    refreshed: list[int] = []

    def observe(runner: ProjectionRunner, out: Outputs) -> None:
        before = exported()
        observers[runner].after(runner, out, None)
        if runner is a:
            assert exported() == rollup(rm)  # B's counts too, read from the model
            refreshed.append(len(exported()))
        else:
            assert exported() == before  # B's batches move no gauge

    feed([b, a], records, observe)
    assert refreshed[-1] == len(LEVEL_COLUMNS) * len(rm.rows(T.PROGRAM_ROLLUP)) > 0
    observers[b].owned(b)
    assert exported() == {}


def test_workers_adding_to_the_same_program_rows_never_deadlock(models, store_settings):
    """Two writers owning different partitions add to the same program rows, each batch
    touching them in its own order and with its own columns (as groups of every partition
    move between levels): on PostgreSQL rows locked in two orders would deadlock; the
    fenced write takes them in one order, so every batch lands and the counters add up."""
    import random
    import threading

    programs = [f"p{i}" for i in range(6)]
    writers = [(models(), part) for part in (0, 1)]
    epochs = {part: rm.claim(TOPIC, [part], f"w{part}")[part][0] for rm, part in writers}
    sums: dict[tuple[str, str], int] = {}
    failures: list[BaseException] = []
    lock = threading.Lock()

    def write(rm: ReadModel, part: int) -> None:
        rng = random.Random(part)
        try:
            for offset in range(60):
                batch = Batch()
                batch.position(TOPIC, part, offset)
                for program in rng.sample(programs, len(programs)):  # an order of its own
                    column = rng.choice(LEVEL_COLUMNS)
                    batch.incrs[(T.PROGRAM_ROLLUP.name, (program,))] = {column: 1}
                    batch.incrs[(T.PROGRAM_EPISODES.name, (program,))] = {"flagged": 1}
                    with lock:
                        sums[(program, column)] = sums.get((program, column), 0) + 1
                rm.write(batch, fence={part: epochs[part]})
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=write, args=w) for w in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not failures, failures[0]
    rm = models()
    cols, flagged = (
        list(T.PROGRAM_ROLLUP.columns),
        list(T.PROGRAM_EPISODES.columns).index("flagged"),
    )
    got = {
        (row[0], c): row[cols.index(c)] for row in rm.rows(T.PROGRAM_ROLLUP) for c in LEVEL_COLUMNS
    }
    assert {k: v for k, v in got.items() if v} == sums
    assert sum(row[flagged] for row in rm.rows(T.PROGRAM_EPISODES)) == 2 * 60 * len(programs)
