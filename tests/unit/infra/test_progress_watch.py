"""A stage that stops making progress while input waits is detected and its process ends;
an idle stage, or one still making progress, is left alone."""

from __future__ import annotations

from infra.metrics import STAGE_STALLED
from infra.progress import ProgressWatch


class Stage:
    def __init__(self) -> None:
        self.waiting, self.done, self.now, self.stalled = 0, 0, 0.0, []

    def watch(self, stall_after: float = 60) -> ProgressWatch:
        return ProgressWatch("test-stage", lambda: self.waiting, lambda: self.done,
                             stall_after, self.stalled.append, lambda: self.now)  # fmt: skip


def test_waiting_input_without_progress_past_the_limit_is_a_stall() -> None:
    stage = Stage()
    watch = stage.watch()
    stage.waiting = 40
    stage.now = 59
    assert not watch.check()
    stage.now = 61
    assert watch.check()
    assert stage.stalled == ["test-stage"]
    assert STAGE_STALLED.labels("test-stage")._value.get() == 1


def test_progress_restarts_the_clock() -> None:
    stage = Stage()
    watch = stage.watch()
    stage.waiting = 40
    for minute in range(1, 10):
        stage.now, stage.done = minute * 50.0, minute
        assert not watch.check()
    assert stage.stalled == []


def test_an_idle_stage_is_never_stalled_and_waiting_counts_from_when_it_began() -> None:
    stage = Stage()
    watch = stage.watch()
    stage.now = 3600
    assert not watch.check()  # an hour idle
    stage.waiting, stage.now = 5, 3630
    assert not watch.check()  # input arrived 30 s ago
    stage.now = 3661
    assert watch.check()


def test_input_that_cannot_be_measured_is_not_a_stall() -> None:
    def unknown() -> int:
        raise ConnectionError("broker away")

    stalled: list[str] = []
    clock = iter([0.0, 1000.0])
    watch = ProgressWatch("blind", unknown, lambda: 0, 60, stalled.append, lambda: next(clock))
    assert not watch.check()
    assert stalled == []
