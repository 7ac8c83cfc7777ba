"""The high-watermark workaround's arithmetic, against a scripted consumer (no broker)."""

from __future__ import annotations

import time

import pytest
from kafka import TopicPartition

from infra.kafka import _probe_ends

TP0, TP1 = TopicPartition("t", 0), TopicPartition("t", 1)


class Rec:
    def __init__(self, offset: int) -> None:
        self.offset = offset


class ScriptedConsumer:
    """Answers poll() with scripted batches and reports the Fetch high watermark per partition."""

    def __init__(self, batches: list[dict], highwater: dict) -> None:
        self.batches, self.hw, self.seeks, self.polls = batches, highwater, {}, 0

    def assign(self, tps) -> None:
        self.assigned = list(tps)

    def seek(self, tp, offset) -> None:
        self.seeks[tp] = offset

    def poll(self, timeout_ms, update_offsets=True):
        self.polls += 1
        return self.batches.pop(0) if self.batches else {}

    def highwater(self, tp):
        return self.hw.get(tp) if self.polls else None


def test_a_correct_broker_keeps_its_reported_end():
    c = ScriptedConsumer([], {TP0: 10, TP1: 0})
    assert _probe_ends(c, {TP0: 10, TP1: 0}, time.monotonic() + 1) == {TP0: 10, TP1: 0}
    assert c.seeks == {TP0: 10, TP1: 0}


def test_a_fetch_high_watermark_above_the_reported_end_wins():
    c = ScriptedConsumer([{TP0: [Rec(1), Rec(2)]}], {TP0: 7, TP1: 3})
    assert _probe_ends(c, {TP0: 1, TP1: 1}, time.monotonic() + 1) == {TP0: 7, TP1: 3}


def test_records_past_a_stale_high_watermark_still_count():
    c = ScriptedConsumer([{TP0: [Rec(4), Rec(5)]}], {TP0: 4})
    assert _probe_ends(c, {TP0: 4}, time.monotonic() + 1) == {TP0: 6}


def test_no_fetch_response_is_a_timeout_not_a_guess():
    c = ScriptedConsumer([], {})
    with pytest.raises(TimeoutError):
        _probe_ends(c, {TP0: 1}, time.monotonic() + 0.2)
