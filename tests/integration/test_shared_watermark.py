"""The watermark ingest processes share on PostgreSQL (decision 0024): what one process
owning every partition would compute, from its own state and the rows of the others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import pytest

from consumers.ingest.shared_watermark import SharedWatermark
from consumers.ingest.watermark import Watermark
from infra.migrations.catalogue import EVENTS_STORE
from infra.migrations.runner import ensure_at_head
from infra.sql import connect

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
TOPIC = "attendance"
ALL = range(4)


class TP(NamedTuple):
    topic: str
    partition: int


def state(applied: dict[int, datetime | None], lagging: set[int]) -> Watermark:
    """A process's own view: its partitions, their newest applied times, which still lag."""
    tps = {p: TP(TOPIC, p) for p in applied}
    times = {tps[p]: t for p, t in applied.items() if t is not None}
    return Watermark(assigned=frozenset(tps.values()), times=times,
                     next_offsets={tps[p]: 5 if p in lagging else 10 for p in applied},
                     seen=max(times.values(), default=None))  # fmt: skip


def ends(_tp: TP) -> int:
    return 10  # a partition lags while its next offset is below 10


@pytest.fixture
def shared(postgres_settings):
    ensure_at_head(postgres_settings, EVENTS_STORE)
    made: list[SharedWatermark] = []

    def process() -> SharedWatermark:
        s = postgres_settings
        made.append(SharedWatermark(lambda: connect(s, s.sqlite_path), TOPIC))
        return made[-1]

    yield process
    for s in made:
        s.close()


def test_a_partition_nobody_reported_on_holds_time_back(shared):
    a = shared()
    mine = state({0: T0, 1: T0}, lagging=set())
    assert a.value(mine, ends, ALL) is None
    a.publish(mine, {}, ends)
    b = shared()
    b.publish(state({2: T0, 3: T0}, lagging=set()), {}, ends)
    assert a.value(mine, ends, ALL) == T0  # every partition known and caught up


def test_another_processs_backfill_holds_time_at_its_oldest_lagging_partition(shared):
    a, b = shared(), shared()
    behind = T0 - timedelta(days=20)
    b.publish(state({2: behind, 3: T0}, lagging={2}), {}, ends)
    mine = state({0: T0, 1: T0 + timedelta(days=1)}, lagging=set())
    assert a.value(mine, ends, ALL) == behind
    b.publish(state({2: T0 + timedelta(days=2), 3: T0}, lagging=set()), {}, ends)
    assert a.value(mine, ends, ALL) == T0 + timedelta(days=2)  # the newest seen anywhere


def test_an_owner_that_applied_nothing_yet_blocks_and_own_lagging_partitions_count(shared):
    a, b = shared(), shared()
    b.publish(state({2: None, 3: T0}, lagging={2}), {}, ends)
    mine = state({0: T0, 1: T0}, lagging={1})
    assert a.value(mine, ends, ALL) is None
    b.publish(state({2: T0 + timedelta(days=3), 3: T0}, lagging={2}), {}, ends)
    assert a.value(mine, ends, ALL) == T0  # our own lagging partition 1 is the oldest


def test_a_process_that_lost_a_partition_cannot_overwrite_its_new_owners_row(shared):
    old, new, reader = shared(), shared(), shared()
    behind = T0 - timedelta(days=9)
    tp2 = TP(TOPIC, 2)
    new.publish(state({2: behind}, lagging={2}), {tp2: 5}, ends)
    old.publish(state({2: T0}, lagging=set()), {tp2: 4}, ends)  # stale: an older epoch
    others = state({0: T0, 1: T0, 3: T0}, lagging=set())
    assert reader.value(others, ends, ALL) == behind


def test_status_names_the_process_that_owns_each_partition(shared, postgres_settings):
    import os
    import socket

    from api.status_reader import ConsumerPositions
    from infra.lock_holder import Holder

    shared().publish(state({2: T0, 3: None}, lagging={3}), {}, ends)
    positions = ConsumerPositions(postgres_settings, reader=None, ingest=None)  # type: ignore[arg-type]
    me = Holder(os.getpid(), socket.gethostname())
    assert positions.owners("ingest", TOPIC) == {2: me, 3: me}
    assert positions.owners("alerts", TOPIC) == {}  # recorded for ingest only
