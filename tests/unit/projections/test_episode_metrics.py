"""``peerpulse_projection_flag_episodes``: the worker exports per program the same funnel the
read model counts (flagged → reached out → recovered, went dormant, ended), also after a
restart from the stored roll-up (decision 0019)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from projections.outputs.episodes import STAGES
from projections.readmodel import tables as T
from projections.readmodel.batch import Batch
from projections.readmodel.store import ReadModel
from projections.worker.observe import Observer
from projections.worker.runner import ProjectionRunner
from tests.unit.projections.builder import T0, GroupScript
from tests.unit.projections.test_flag_episodes import BACK, comes_back, run, stops, table


def stage(program: str, name: str) -> float | None:
    return REGISTRY.get_sample_value("peerpulse_projection_flag_episodes",
                                     {"program": program, "stage": name})  # fmt: skip


@pytest.fixture
def readmodel(sqlite_settings):
    rm = ReadModel(sqlite_settings).open()
    yield rm
    rm.close()


def _in_program(g: GroupScript, program: str) -> GroupScript:
    for ev in g.events:
        ev["data"]["program_id"] = program
    return g


def test_the_gauges_count_each_stage_of_a_programs_episodes(readmodel):
    program = str(uuid.uuid4())
    called, policy = comes_back("m-called", call=True)
    silent, _ = stops("m-stop")
    observer, runner = Observer(), ProjectionRunner(readmodel, "peerpulse.events.v1")
    for g, p, until in ((called, policy, BACK + timedelta(days=10)),
                        (silent, _, T0 + timedelta(days=89))):  # fmt: skip
        observer.after(runner, run(_in_program(g, program), p, until), None)
    assert {s: stage(program, s) for s in STAGES} == {
        "flagged": 2,
        "reached_out": 1,
        "recovered": 1,
        "went_dormant": 1,
        "ended": None,
    }
    assert stage(program, "still_at_risk") is None  # not a stage: the gauge stays bounded


def test_a_restarted_worker_starts_the_gauges_from_the_stored_counts(readmodel):
    program = str(uuid.uuid4())
    g, policy = comes_back("m-restart", call=True)
    out = run(_in_program(g, program), policy, BACK + timedelta(days=10))
    readmodel.write(Batch(incrs={(T.PROGRAM_EPISODES.name, key): values for key, values in
                                 table(out, T.PROGRAM_EPISODES).items()}))  # fmt: skip
    Observer().load(readmodel)
    assert (stage(program, "flagged"), stage(program, "reached_out"),
            stage(program, "recovered")) == (1, 1, 1)  # fmt: skip
