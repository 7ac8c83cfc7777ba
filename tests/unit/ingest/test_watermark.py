"""The ingest watermark: the slowest partition with unread records sets event time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from consumers.ingest.watermark import Watermark

T0 = datetime(2025, 1, 6, tzinfo=UTC)
ENDS = {"p0": 100, "p1": 100, "p2": 0}


def week(n: int) -> datetime:
    return T0 + timedelta(weeks=n)


def test_a_lagging_partition_holds_time_back_to_its_own_progress():
    w = Watermark().assign(["p0", "p1"]).advanced("p0", week(16), 100).advanced("p1", week(2), 40)
    assert w.value(ENDS.get) == week(2)


def test_a_lagging_partition_that_applied_nothing_yet_blocks_ticking():
    w = Watermark().assign(["p0", "p1"]).advanced("p0", week(16), 50)
    assert w.value(ENDS.get) is None


def test_caught_up_partitions_do_not_hold_time_back():
    w = Watermark().assign(["p0", "p1", "p2"]).reading("p2", 0)
    w = w.advanced("p0", week(16), 100).advanced("p1", week(3), 60)
    assert w.value(ENDS.get) == week(3)


def test_when_every_partition_is_caught_up_time_is_the_newest_seen():
    w = Watermark().assign(["p0", "p1"]).advanced("p0", week(16), 100).advanced("p1", week(9), 100)
    assert w.value(ENDS.get) == week(16)


def test_an_unfetched_partition_counts_as_lagging():
    w = Watermark().assign(["p0", "p1"]).advanced("p0", week(16), 100).advanced("p1", week(1), 100)
    assert w.value({"p0": 100}.get) == week(1)


def test_records_in_hand_make_a_partition_lag_until_applied():
    w = Watermark().assign(["p0", "p1"]).advanced("p0", week(16), 100).advanced("p1", week(9), 100)
    assert w.reading("p1", 60).value(ENDS.get) == week(9)
    assert w.reading("p1", 60).advanced("p1", week(10), 100).value(ENDS.get) == week(16)


def test_revoked_partitions_no_longer_count_and_reassignment_forgets_old_progress():
    w = Watermark().assign(["p0", "p1"]).advanced("p0", week(16), 100).advanced("p1", week(2), 40)
    assert w.revoke(["p1"]).value(ENDS.get) == week(16)
    assert w.assign(["p1"]).value(ENDS.get) is None


def test_a_late_batch_never_lowers_a_partitions_progress():
    w = Watermark().assign(["p0", "p1"]).advanced("p1", week(16), 100)
    w = w.advanced("p0", week(5), 50).advanced("p0", week(3), 60)
    assert w.value(ENDS.get) == week(5)
