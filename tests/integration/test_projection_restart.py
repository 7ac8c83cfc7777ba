"""A worker that stops (SIGTERM: its last batch committed) or dies (SIGKILL: its open batch
lost) and resumes from its read model ends with exactly the rows of one uninterrupted
pass — every table, the weekly trend included."""

from __future__ import annotations

import zlib

import pytest

from benchmarks._projection_events import synthetic
from infra.settings import Settings
from projections.readmodel import tables as T
from projections.readmodel.store import ReadModel
from projections.worker.runner import ProjectionRunner

TOPIC = "restart.events"
PARTITIONS = 2


def _records() -> list[tuple]:
    """A generated 20-week history as (value, headers, partition, offset)."""
    offsets = dict.fromkeys(range(PARTITIONS), 0)
    out = []
    for key, value, headers, partition in synthetic(12_000, weeks=20, partitions=PARTITIONS):
        if partition is None:  # keyed: one partition per key, as a producer's partitioner
            partition = zlib.crc32(key) % PARTITIONS
        out.append((value, headers, partition, offsets[partition]))
        offsets[partition] += 1
    return out


def _feed(runner: ProjectionRunner, records: list[tuple], commit_every: int = 500) -> None:
    for i, (value, headers, partition, offset) in enumerate(records, 1):
        runner.handle(value, headers, partition, offset)
        if i % commit_every == 0:
            runner.commit()
    runner.commit()


def _tables(rm: ReadModel) -> dict[str, list[tuple]]:
    return {t.name: sorted(rm.rows(t)) for t in T.READ_MODEL}


@pytest.fixture(scope="module")
def records() -> list[tuple]:
    return _records()


@pytest.fixture(scope="module")
def one_pass(records, tmp_path_factory) -> dict[str, list[tuple]]:
    rm = ReadModel(Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("one"))).open()
    try:
        _feed(ProjectionRunner(rm, TOPIC), records)
        return _tables(rm)
    finally:
        rm.close()


@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
def test_a_restarted_worker_writes_what_one_pass_writes(store_settings, records, one_pass, how):
    """Three restarts, in weeks 5, 11 and 16 of the history: after a clean stop every
    handled record is committed; after a kill the records handled since the last commit
    are lost and handled again from the checkpoint."""
    assert all(one_pass[t] for t in ("weekly_trend", "group_health", "program_rollup"))
    rm = ReadModel(store_settings).open()
    try:
        rm.reset()
        cuts = [len(records) * k // 20 for k in (5, 11, 16)] + [len(records)]
        start = 0
        for cut in cuts:
            runner = ProjectionRunner(rm, TOPIC)
            _feed(runner, records[start:cut])
            if how == "sigkill" and cut < len(records):
                for value, headers, partition, offset in records[cut : cut + 321]:
                    runner.handle(value, headers, partition, offset)  # never committed
                runner.drain()
            start = cut
        assert _tables(rm) == one_pass
    finally:
        rm.close()
