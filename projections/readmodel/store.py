"""The SQL read model (SQLite file or PostgreSQL schema) and the projector's checkpoint.

Tables come from the catalogue in :mod:`projections.readmodel.tables` (re-exported here
as ``TABLES``). :meth:`ReadModel.write` applies one coalesced
:class:`~projections.readmodel.batch.Batch` in one transaction: rows, the topic positions
reached, and the changed projector states, so a restarted worker resumes exactly where its
read model is (decision 0006).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from infra.settings import Settings
from infra.sql import setup_lock
from projections.readmodel import tables as T
from projections.readmodel.batch import Batch
from projections.readmodel.sqlgen import (
    Dialect,
    added_columns,
    ddl,
    existing_columns_sql,
    incr_sql,
    upsert_sql,
)

TABLES = T.ALL_TABLES


class ReadModel:
    """Read-model tables on the configured backend."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dialect = Dialect.for_settings(settings)
        self._conn: Any = None

    def open(self, bulk: bool = False) -> ReadModel:
        """Connect and create missing tables.

        ``bulk`` (``rebuild`` only, the worker stopped): commits stop waiting for the disk
        (SQLite ``synchronous=OFF``, a bigger page cache; PostgreSQL
        ``synchronous_commit=off``). A crash mid-rebuild can lose the last commits, which
        the next rebuild redoes from scratch anyway.
        """
        self._conn = self.dialect.connect(self.settings)
        if bulk:
            self.dialect.bulk(self._conn)
        with setup_lock(self.settings), self._tx() as cur:
            for stmt in ddl(self.dialect):
                cur.execute(stmt)
            cur.execute(existing_columns_sql(self.dialect))
            for stmt in added_columns(self.dialect, {(t, c) for t, c in cur.fetchall()}):
                cur.execute(stmt)
        return self

    def close(self) -> None:
        """Disconnect."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        cur = self._conn.cursor()
        try:
            yield cur
            self._conn.commit()
        except BaseException:
            self._conn.rollback()
            raise
        finally:
            cur.close()

    def write(
        self,
        batch: Batch,
        state_format: int | None = None,
        fence: dict[int, int] | None = None,
    ) -> None:
        """Apply one batch atomically.

        ``fence`` (a worker sharing the topic, decision 0025): the owner epoch this writer
        holds per partition. The batch's positions are then written only where the stored
        epoch is still that one; if another worker has claimed a partition since, nothing
        is written and :class:`TakenOver` is raised. The rows of the tables several workers
        write (``tables.SHARED``: per-program counters and descriptions) are then written one
        by one in one global (table, key) order whatever their columns, so workers adding
        to the same program rows wait for each other instead of deadlocking.
        """
        fmt = STATE_FORMAT if state_format is None else state_format
        groups: dict[tuple[str, str, tuple[str, ...]], list[tuple]] = {}
        shared: list[tuple[tuple, str, tuple]] = []  # (order, sql, params), run one by one
        for op, rows, make in (("u", batch.upserts, upsert_sql), ("i", batch.incrs, incr_sql)):
            for (table, key), values in rows.items():
                cols, params = tuple(values), (*key, *values.values())
                if fence is not None and table in T.SHARED:
                    shared.append(((table, key, op), make(self.dialect, table, cols), params))
                else:
                    groups.setdefault((op, table, cols), []).append(params)
        if fence is None:
            for (topic, part), offset in batch.checkpoint.items():
                groups.setdefault(("u", T.CHECKPOINT.name, ("next_offset",)), []).append(
                    (topic, part, offset)
                )
        for (kind, ident), body in batch.states.items():
            groups.setdefault(("u", T.STATE.name, ("format", "body", "partition")), []).append(
                (kind, ident, fmt, body, batch.state_partitions.get((kind, ident)))
            )
        with self._tx() as cur:
            if fence is not None:
                self._fenced_positions(cur, batch, fence)
            for (op, table, cols), params in sorted(groups.items()):
                make = incr_sql if op == "i" else upsert_sql
                cur.executemany(make(self.dialect, table, cols), params)
            for _, sql, params in sorted(shared, key=lambda row: row[0]):
                cur.execute(sql, params)  # one global (table, key) order: no deadlock
            if batch.drop:
                cur.executemany(f"DELETE FROM {self._state_key()}", sorted(batch.drop))

    def _fenced_positions(self, cur: Any, batch: Batch, fence: dict[int, int]) -> None:
        p = self.dialect.param
        sql = (
            f"UPDATE {self.name(T.CHECKPOINT)} SET next_offset = {p}"
            f" WHERE topic = {p} AND {q('partition')} = {p} AND owner_epoch = {p}"
        )
        for (topic, part), offset in sorted(batch.checkpoint.items()):
            cur.execute(sql, (offset, topic, part, fence.get(part, -1)))
            if cur.rowcount != 1:
                raise TakenOver(part)

    def claim(
        self, topic: str, partitions: Iterable[int], owner: str
    ) -> dict[int, tuple[int, int]]:
        """Take ``partitions`` of ``topic`` for a worker: raise each one's owner epoch (a
        batch still in flight of the previous owner then fails its fenced write) and
        return ``{partition: (epoch, next offset)}``, read after the claim committed."""
        p = self.dialect.param
        take = (
            f"INSERT INTO {self.name(T.CHECKPOINT)} AS cur"
            f" (topic, {q('partition')}, next_offset, owner_epoch, owner)"
            f" VALUES ({p}, {p}, 0, 1, {p}) ON CONFLICT (topic, {q('partition')}) DO UPDATE"
            " SET owner_epoch = COALESCE(cur.owner_epoch, 0) + 1, owner = excluded.owner"
        )
        read = (
            f"SELECT owner_epoch, next_offset FROM {self.name(T.CHECKPOINT)}"
            f" WHERE topic = {p} AND {q('partition')} = {p}"
        )
        mark = upsert_sql(self.dialect, T.STATE.name, ("format", "body"))
        out: dict[int, tuple[int, int]] = {}
        with self._tx() as cur:
            cur.execute(mark, (*FORMAT_MARK, 0, str(STATE_FORMAT).encode()))
            for part in sorted(partitions):
                cur.execute(take, (topic, part, owner))
                cur.execute(read, (topic, part))
                epoch, offset = cur.fetchone()
                out[part] = (int(epoch), int(offset))
        return out

    def owners(self, topic: str) -> dict[int, str]:
        """Who last claimed each partition of ``topic`` (``peerpulse status``)."""
        rows = self.query(
            f"SELECT {q('partition')}, owner FROM {self.name(T.CHECKPOINT)}"
            f" WHERE topic = {self.dialect.param} AND owner IS NOT NULL",
            (topic,),
        )
        return {int(part): str(owner) for part, owner in rows}

    def stale(self) -> bool:
        """True if the model cannot be resumed and must be replayed from the start: a
        rebuild started and did not finish, or positions were reached but no state of the
        current format is stored (states of an older :data:`STATE_FORMAT`)."""
        if self.rebuilding():
            return True
        moved = self.query(f"SELECT 1 FROM {self.name(T.CHECKPOINT)} WHERE next_offset > 0")
        if not moved:
            return False
        p = self.dialect.param
        kept = self.query(
            f"SELECT 1 FROM {self.name(T.STATE)} WHERE format = {p}"
            f" OR (kind = {p} AND id = {p} AND body = {p})",
            (STATE_FORMAT, *FORMAT_MARK, str(STATE_FORMAT).encode()),
        )
        return not kept

    def begin_rebuild(self) -> None:
        """Mark the read model as being rebuilt; the rebuild's last transaction removes the
        mark (``Batch.drop`` of :data:`REBUILDING`). A model still marked is incomplete."""
        self.write(Batch(states={REBUILDING: b"1"}), state_format=0)

    def rebuilding(self) -> bool:
        """True if a rebuild started and did not finish (the model must be reset)."""
        return bool(self.query(f"SELECT 1 FROM {self._state_key()}", REBUILDING))

    def _state_key(self) -> str:
        p = self.dialect.param
        return f"{self.name(T.STATE)} WHERE kind = {p} AND id = {p}"

    def checkpoint(self, topic: str) -> dict[int, int]:
        """Next offset to read per partition of ``topic`` (empty: start from the beginning)."""
        rows = self.query(
            f"SELECT {q('partition')}, next_offset FROM {self.name(T.CHECKPOINT)}"
            f" WHERE topic = {self.dialect.param}",
            (topic,),
        )
        return {int(p): int(o) for p, o in rows}

    def states(
        self, partitions: Iterable[int] | None = None
    ) -> Iterator[tuple[str, str, bytes, int | None]]:
        """Stored projector states of the current format, ``(kind, id, body, partition)``
        (partition: of the events topic, None if unknown): clocks first,
        then programs and groups, streamed (100k pickled states never sit in memory at once).
        ``partitions``: only the states made by those partitions of the events topic."""
        params: tuple = (STATE_FORMAT,)
        where = f"format = {self.dialect.param}"
        if partitions is not None:
            parts = sorted({int(x) for x in partitions})
            if not parts:
                return
            where += f" AND {q('partition')} IN ({', '.join(str(x) for x in parts)})"
        sql = (
            f"SELECT kind, id, body, {q('partition')} FROM {self.name(T.STATE)} WHERE {where}"
            " ORDER BY CASE kind WHEN 'clock' THEN 0 ELSE 1 END"
        )
        with self._tx() as cur:
            cur.execute(sql, params)
            while rows := cur.fetchmany(2000):
                for k, i, b, part in rows:
                    yield k, i, bytes(b), None if part is None else int(part)

    def epoch(self) -> str:
        """This read model's identity, new after every reset: names the worker's group."""
        sql = f"SELECT body FROM {self.name(T.STATE)} WHERE kind = 'meta' AND id = 'epoch'"
        rows = self.query(sql)
        if rows:
            return bytes(rows[0][0]).decode()
        import uuid

        epoch = uuid.uuid4().hex[:12]
        batch = Batch(states={("meta", "epoch"): epoch.encode()})
        self.write(batch, state_format=0)
        return epoch

    def reset(self) -> None:
        """Empty every table (before a rebuild)."""
        with self._tx() as cur:
            for t in TABLES:
                cur.execute(f"DELETE FROM {self.name(t)}")

    def rows(self, table: T.Table) -> list[tuple]:
        """Every row of ``table`` in key order (for comparisons and the dashboard)."""
        order = ", ".join(q(k) for k in table.key)
        cols = ", ".join(q(c) for c in table.columns)
        return [
            tuple(r) for r in self.query(f"SELECT {cols} FROM {self.name(table)} ORDER BY {order}")
        ]

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run one read query."""
        with self._tx() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())

    def name(self, table: T.Table) -> str:
        """The table's qualified name."""
        return self.dialect.qualified(table.name)


class TakenOver(Exception):
    """Another worker claimed a partition this batch has records of: nothing was written."""

    def __init__(self, partition: int) -> None:
        super().__init__(f"partition {partition} was claimed by another projection worker")
        self.partition = partition


REBUILDING = ("meta", "rebuilding")
"""The projector-state key marking a rebuild in progress."""
FORMAT_MARK = ("meta", "format")
"""The projector-state key naming the state format a claiming worker writes (see
:meth:`ReadModel.stale`): a model whose batches so far changed no state is not stale."""
STATE_FORMAT = 5
"""Bump when GroupState/ProgramState change shape: stored states are then ignored and the
worker replays the topic from the start (decision 0006). 4: flag episodes (decision 0019);
5: states carry their partition, restored per partition (decision 0025)."""


def q(ident: str) -> str:
    """A quoted SQL identifier."""
    return f'"{ident}"'
