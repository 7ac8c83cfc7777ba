"""Metrics the alert rules and the dashboard rely on: the clock's ticks, and program names
published beside the program label (``peerpulse_program_info``) for readable legends."""

from __future__ import annotations

import signal
import time
import uuid
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY

from domain.clock import boundary_at_or_before
from peerpulse.cli import build_parser
from projections.engine import Outputs
from projections.fold.state import ProgramState
from projections.outputs import rows
from projections.readmodel.batch import Batch
from projections.readmodel.store import ReadModel
from projections.worker.observe import Observer
from projections.worker.runner import ProjectionRunner


def _value(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def _run_clock(settings) -> None:
    """``peerpulse clock --once`` in this process (its signal handlers are put back after)."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    args = build_parser().parse_args(["clock", "--once"])
    try:
        assert args.handler(args, settings) == 0
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def test_the_clock_reports_each_check_and_the_tick_it_confirmed(sqlite_settings):
    ticks_before = _value("peerpulse_clock_ticks_total") or 0.0
    started = time.time()
    _run_clock(sqlite_settings)
    checked = _value("peerpulse_clock_last_check_timestamp_seconds")
    assert started <= checked <= time.time()
    boundary = boundary_at_or_before(datetime.fromtimestamp(checked, UTC)).timestamp()
    assert _value("peerpulse_clock_last_tick_timestamp_seconds") == boundary
    assert _value("peerpulse_clock_ticks_total") == ticks_before + 1

    _run_clock(sqlite_settings)  # same boundary: checked again, no second tick
    assert _value("peerpulse_clock_last_check_timestamp_seconds") >= checked
    assert _value("peerpulse_clock_ticks_total") == ticks_before + 1


@pytest.fixture
def runner(sqlite_settings):
    readmodel = ReadModel(sqlite_settings).open()
    yield ProjectionRunner(readmodel, "peerpulse.events.v1")
    readmodel.close()


def _program(program_id: str, name: str) -> rows.RowChange:
    return rows.program(ProgramState(program_id=program_id, name=name))


def test_a_program_is_shown_by_its_name_and_a_renamed_one_only_by_the_new_name(runner):
    pid = str(uuid.uuid4())
    observer = Observer()
    observer.after(runner, Outputs(rows=[rows.rollup_count(pid, "at_risk", 1)]), None)
    assert _value("peerpulse_program_info", program=pid, program_name=pid) == 1  # no name yet
    assert _value("peerpulse_projection_groups", program=pid, level="at_risk") == 1

    observer.after(runner, Outputs(rows=[_program(pid, "Spring founders")]), None)
    assert _value("peerpulse_program_info", program=pid, program_name="Spring founders") == 1
    assert _value("peerpulse_program_info", program=pid, program_name=pid) is None

    observer.after(runner, Outputs(rows=[_program(pid, "Autumn founders")]), None)
    assert _value("peerpulse_program_info", program=pid, program_name="Autumn founders") == 1
    assert _value("peerpulse_program_info", program=pid, program_name="Spring founders") is None


def test_a_restarted_worker_names_programs_from_the_read_model(runner):
    pid = str(uuid.uuid4())
    batch = Batch()
    batch.add([_program(pid, "Mentors 2026"), rows.rollup_count(pid, "watch", 2)])
    runner.readmodel.write(batch)
    Observer().load(runner.readmodel)
    assert _value("peerpulse_program_info", program=pid, program_name="Mentors 2026") == 1


def test_program_names_stay_bounded_like_the_program_label(monkeypatch, runner):
    monkeypatch.setattr("projections.worker.observe.MAX_PROGRAM_LABELS", 1)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    observer = Observer()
    observer.after(
        runner, Outputs(rows=[_program(first, "Kept"), _program(second, "Folded")]), None
    )
    assert _value("peerpulse_program_info", program=first, program_name="Kept") == 1
    assert _value("peerpulse_program_info", program="other", program_name="other programs") == 1
    assert _value("peerpulse_program_info", program=second, program_name="Folded") is None
