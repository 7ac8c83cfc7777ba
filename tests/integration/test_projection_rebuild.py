"""``rebuild``'s bulk path (feeds per partition, held per-entity rows, counters summed,
states once) writes exactly what a straightforward row-by-row write of every row change
of one projector pass over the topic writes, on a realistic generated history."""

from __future__ import annotations

import uuid

import pytest

from benchmarks._projection_events import synthetic
from benchmarks.projections import produce
from infra.kafka import read_all
from infra.settings import Settings
from infra.topics import create_topics
from projections.engine import Outputs, Projector
from projections.fold.envelope import decode
from projections.readmodel import tables as T
from projections.readmodel.sqlgen import incr_sql, upsert_sql
from projections.readmodel.store import ReadModel
from projections.worker.rebuild import rebuild
from projections.worker.runner import ProjectionRunner
from projections.worker.wire import ProjectionTopics

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
PARTITIONS = 3


@pytest.fixture(scope="module")
def history(kafka_broker) -> tuple[ProjectionTopics, list]:
    """A realistic 30,000-event history on a fresh topic, and its records as read back."""
    kafka_bootstrap = kafka_broker.bootstrap
    tag = uuid.uuid4().hex[:8]
    names = ProjectionTopics(f"rb{tag}.events", f"rb{tag}.health", f"rb{tag}.alerts")
    create_topics(kafka_bootstrap, PARTITIONS, names.catalogue())
    produce(kafka_bootstrap, names.events, synthetic(30_000, partitions=PARTITIONS))
    return names, read_all(kafka_bootstrap, names.events, timeout=60)


def row_by_row(settings, records: list) -> dict[str, list[tuple]]:
    """Every row change of one projector pass (partition after partition), each written by
    its own statement, into a SQLite read model."""
    p, out = Projector(), Outputs()
    for r in records:
        p.process(decode(r.value, r.headers, r.partition, r.offset), out)
    rm = ReadModel(settings).open()
    try:
        with rm._tx() as cur:
            for c in out.rows:
                make = incr_sql if c.op == "incr" else upsert_sql
                cur.execute(
                    make(rm.dialect, c.table, tuple(c.values)), (*c.key, *c.values.values())
                )
        return {t.name: rm.rows(t) for t in T.READ_MODEL}
    finally:
        rm.close()


@pytest.mark.parametrize("workers", [1, PARTITIONS])
def test_rebuild_writes_what_a_row_by_row_write_of_one_pass_writes(
    store_settings, kafka_bootstrap, history, tmp_path, workers
):
    names, records = history
    settings = store_settings.model_copy(update={"kafka_bootstrap": kafka_bootstrap})
    stats = rebuild(
        settings,
        names,
        f"rb-{uuid.uuid4().hex[:6]}",
        progress=False,
        workers=workers,
        batch_events=4_000,
    )
    rm = ReadModel(settings).open()
    try:
        rebuilt = {t.name: rm.rows(t) for t in T.READ_MODEL}
        ends = {}
        for r in records:
            ends[r.partition] = r.offset + 1
        assert rm.checkpoint(names.events) == ends
        assert not rm.rebuilding()
        restored = ProjectionRunner(rm, names.events)
        assert len(restored.projector.groups) == stats.groups > 100
    finally:
        rm.close()
    expected = row_by_row(Settings(_env_file=None, data_dir=tmp_path / "reference"), records)
    assert all(expected[t.name] for t in T.READ_MODEL)
    for t in T.READ_MODEL:
        assert sorted(rebuilt[t.name]) == sorted(expected[t.name]), t.name
