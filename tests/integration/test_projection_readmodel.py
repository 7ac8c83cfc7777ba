"""The projection read model on SQLite and PostgreSQL: coalesced batches, upserts and
counters, checkpoint and state restore, reset, bulk (rebuild) mode."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from projections.engine import Outputs, Projector
from projections.readmodel import tables as T
from projections.readmodel.batch import Batch
from projections.readmodel.store import ReadModel
from projections.worker.runner import ProjectionRunner
from tests.integration.projection_kit import table_rows
from tests.unit.projections.builder import T0, Clock, GroupScript, merge, ticks, weekly

TOPIC = "peerpulse.events.v1"


def records() -> list[bytes]:
    """A steady group, one that stops, one with a lapse: JSON values in topic order."""
    steady, stop, lapse = GroupScript("rm-steady"), GroupScript("rm-stop"), GroupScript("rm-lapse")
    for at in weekly(T0, 8):
        steady.session(at, commitments=3, kept=2)
    for at in weekly(T0, 3):
        stop.session(at, commitments=2, kept=1)
    lapse.session(T0, present=2)
    lapse.lapse(T0 + timedelta(days=1), lapse.members[4])
    evs = merge(
        steady.events, stop.events, lapse.events, ticks(Clock(), T0, T0 + timedelta(days=70))
    )
    return [json.dumps(e).encode() for e in evs]


def expected_rows(values: list[bytes]) -> dict[str, list[tuple]]:
    """What the tables must hold: every row change of one pass, folded in Python."""
    out = Outputs()
    p = Projector()
    from projections.fold.envelope import decode

    for i, v in enumerate(values):
        p.process(decode(v, None, 0, i), out)
    batch = Batch()
    batch.add(out.rows)
    tables: dict[str, dict[tuple, dict]] = {}
    for (table, key), row in batch.upserts.items():
        tables.setdefault(table, {}).setdefault(key, {}).update(row)
    for (table, key), deltas in batch.incrs.items():
        row = tables.setdefault(table, {}).setdefault(key, {})
        for col, d in deltas.items():
            row[col] = (row.get(col) or 0) + d
    result = {}
    for t in T.READ_MODEL:
        rows = tables.get(t.name, {})
        result[t.name] = [
            (*key, *(row.get(c, _default(t, c)) for c in t.columns if c not in t.key))
            for key, row in sorted(rows.items())
        ]
    return result


def _default(t: T.Table, column: str) -> int | None:
    return 0 if "DEFAULT 0" in t.columns[column] else None


def project(settings, values: list[bytes], start: int, stop: int, chunk: int = 7) -> int:
    rm = ReadModel(settings).open()
    try:
        runner = ProjectionRunner(rm, TOPIC)
        handled = 0
        for i in range(start, stop):
            handled += runner.handle(values[i], None, 0, i)
            if runner.batch.events >= chunk:
                runner.commit()
        runner.commit()
        return handled
    finally:
        rm.close()


def test_batches_land_as_one_pass_would_have_written_them(store_settings):
    values = records()
    assert project(store_settings, values, 0, len(values)) == len(values)
    assert table_rows(store_settings) == expected_rows(values)


def test_a_restarted_runner_resumes_from_checkpoint_and_states_without_reapplying(store_settings):
    values = records()
    half = len(values) // 2
    project(store_settings, values, 0, half)
    assert project(store_settings, values, 0, len(values)) == len(values) - half
    assert table_rows(store_settings) == expected_rows(values)
    rm = ReadModel(store_settings).open()
    try:
        assert rm.checkpoint(TOPIC) == {0: len(values)}
        kinds = {k for k, _, _, _ in rm.states()}
        assert kinds == {"group", "clock"}
    finally:
        rm.close()


def test_counters_add_up_and_upserts_keep_columns_they_do_not_set(store_settings):
    rm = ReadModel(store_settings).open()
    try:
        from projections.outputs.rows import RowChange, rollup_count

        for delta in (1, 1, -1, 1):
            b = Batch()
            b.add([rollup_count("p1", "watch", delta)])
            rm.write(b)
        b = Batch()
        b.add([RowChange(T.PROGRAM_ROLLUP.name, ("p1",), {"name": "Mentors"})])
        rm.write(b)
        (row,) = rm.rows(T.PROGRAM_ROLLUP)
        values = dict(zip(T.PROGRAM_ROLLUP.columns, row, strict=True))
        assert (values["name"], values["watch"], values["healthy"]) == ("Mentors", 2, 0)
    finally:
        rm.close()


def test_reset_empties_every_table_and_renews_the_epoch(store_settings):
    values = records()
    project(store_settings, values, 0, 40)
    rm = ReadModel(store_settings).open()
    try:
        before = rm.epoch()
        assert rm.epoch() == before
        rm.reset()
        assert all(rm.rows(t) == [] for t in T.READ_MODEL)
        assert rm.checkpoint(TOPIC) == {}
        assert rm.epoch() != before
    finally:
        rm.close()


def test_bulk_mode_writes_the_same_rows(store_settings):
    values = records()
    rm = ReadModel(store_settings).open(bulk=True)
    try:
        runner = ProjectionRunner(rm, TOPIC, restore=False)
        for i, v in enumerate(values):
            runner.handle(v, None, 0, i)
        runner.commit()
    finally:
        rm.close()
    assert table_rows(store_settings) == expected_rows(values)


@pytest.mark.parametrize("bad", [b"not json", b'{"type": "x"}'])
def test_undecodable_records_are_counted_and_skipped_but_move_the_checkpoint(store_settings, bad):
    rm = ReadModel(store_settings).open()
    try:
        runner = ProjectionRunner(rm, TOPIC)
        assert runner.handle(bad, None, 2, 5) is False
        runner.commit()
        assert runner.rejected == 1
        assert rm.checkpoint(TOPIC) == {2: 6}
    finally:
        rm.close()


def test_a_runner_resets_a_read_model_left_by_an_unfinished_rebuild(store_settings):
    values = records()
    project(store_settings, values, 0, 40)
    rm = ReadModel(store_settings).open()
    try:
        rm.begin_rebuild()
        assert rm.rebuilding()
        runner = ProjectionRunner(rm, TOPIC)
        assert runner.positions == {} and not runner.projector.groups
        assert not rm.rebuilding()
        assert all(rm.rows(t) == [] for t in T.READ_MODEL)
    finally:
        rm.close()


def test_a_read_model_made_by_an_older_release_gains_the_new_columns(store_settings):
    """An older release's group_health and level_history had no ``probability``: opening
    the read model adds the column in place, and rows with it can be written and read."""
    rm = ReadModel(store_settings).open()
    try:
        with rm._tx() as cur:
            for table in (T.GROUP_HEALTH, T.LEVEL_HISTORY):
                cur.execute(f'ALTER TABLE {rm.name(table)} DROP COLUMN "probability"')
    finally:
        rm.close()
    values = records()
    project(store_settings, values, 0, len(values))  # opens it again, then writes every row
    rm = ReadModel(store_settings).open()
    try:
        assert rm.rows(T.GROUP_HEALTH) == expected_rows(values)[T.GROUP_HEALTH.name]
        assert {r[list(T.LEVEL_HISTORY.columns).index("probability")]
                for r in rm.rows(T.LEVEL_HISTORY)} - {None}  # fmt: skip
    finally:
        rm.close()
