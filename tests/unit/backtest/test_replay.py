"""A small simulated program replayed for two policies and the naive rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from benchmarks._detection_replay import Pipeline, group_key
from infra.simulator import simulate
from projections.backtest import NAIVE, hindsight, replay, run_backtest
from projections.engine import Projector
from projections.readmodel.tables import LEVEL_HISTORY
from projections.risk.assess import DEFAULT_POLICY

END = datetime(2025, 6, 1, tzinfo=UTC)
HASTY = replace(DEFAULT_POLICY, dormant_after_periods=1.0)
"""A candidate that calls a group dormant after one quiet period."""


@pytest.fixture(scope="module")
def program():
    sim = simulate(7, END, groups=12, weeks=12)
    return sim, list(Pipeline().events(sim, sim.end))


@pytest.fixture(scope="module")
def replayed(program):
    sim, events = program
    return replay(events, {"current": DEFAULT_POLICY, "hasty": HASTY}, progress=False)


def test_two_policies_give_different_flags_on_the_same_stream(replayed):
    current, hasty = replayed.traces["current"], replayed.traces["hasty"]
    assert current.changes != hasty.changes
    dormant = {p: sum(lvl == "dormant" for ch in t.changes.values() for _, lvl in ch)
               for p, t in (("current", current), ("hasty", hasty))}  # fmt: skip
    assert dormant["hasty"] > dormant["current"]
    for trace in (current, hasty):
        judged = {g: [(s.at, s.level) for s in ss] for g, ss in trace.judged.items()}
        assert judged == trace.changes, "every change is also kept with its judgement time"


def test_sampling_every_day_changes_no_level_the_projector_gives_alone(program, replayed):
    _, events = program
    alone: dict[str, list] = {}
    for row in Projector().run(events).rows:
        if row.table == LEVEL_HISTORY.name:
            alone.setdefault(row.key[0], []).append(row.values["level"])
    sampled = {g: [lvl for _, lvl in ch] for g, ch in replayed.traces["current"].changes.items()}
    assert sampled == alone


def test_every_active_group_is_sampled_daily_with_its_probability(replayed):
    samples = replayed.traces["current"].samples
    assert samples and all(s.probability is not None for ss in samples.values() for s in ss)
    for taken in samples.values():
        days = [s.at for s in taken]
        assert all(b - a == timedelta(days=1) for a, b in zip(days, days[1:], strict=False))


def test_the_naive_rule_flags_after_two_quiet_periods(program, replayed):
    sim, _ = program
    labels = hindsight(replayed.facts, sim.end)
    naive = replayed.traces[NAIVE].changes
    dormant = [g for g, label in labels.items() if label.kind == "dormant"]
    assert dormant and all(any(lvl == "at_risk" for _, lvl in naive.get(g, [])) for g in dormant)


def test_hindsight_labels_agree_with_the_simulators_truth(program, replayed):
    sim, _ = program
    labels = hindsight(replayed.facts, sim.end)
    for t in sim.truth:
        label = labels[group_key(sim, t.group)]
        if label.kind == "dormant":
            assert t.dies and abs(t.dormant_at - label.at) < timedelta(days=1), t.group
            # events are stamped when reported (a held session after it began; a roster that
            # came first forms the group provisionally): hours apart from the truth's times


def test_run_backtest_reports_every_detector(program):
    sim, events = program
    families = {group_key(sim, t.group): t.family for t in sim.truth}
    report = run_backtest(events, {"current": DEFAULT_POLICY, "hasty": HASTY},
                          progress=False, families=families)  # fmt: skip
    assert list(report.evaluations) == ["current", "hasty", NAIVE]
    summaries = report.summaries()
    assert summaries["current"] != summaries["hasty"]
    assert summaries[NAIVE].dormant == summaries["current"].dormant > 0
    assert sum(report.labels.values()) == len(sim.truth)
    assert {o.family for o in report.evaluations["current"].outcomes} <= set(families.values())


def test_an_event_the_projector_cannot_take_is_left_out_and_counted_not_fatal(program):
    """The backtest follows the live worker: one bad event is quarantined, the rest go on."""
    sim, events = program
    joined = next(ev for ev in events if ev.type == "peerpulse.member.joined.v1")
    broken = replace(joined, id="broken", data={"role": "peer"})  # names no member
    spliced = [*events[:5], broken, *events[5:]]
    with_bad = replay(spliced, {"current": DEFAULT_POLICY}, progress=False)
    clean = replay(events, {"current": DEFAULT_POLICY}, progress=False)
    assert with_bad.refused == 1 and clean.refused == 0
    bad, good = with_bad.traces["current"].changes, clean.traces["current"].changes
    assert bad.keys() == good.keys()
    others = set(good) - {broken.subject}
    assert {g: bad[g] for g in others} == {g: good[g] for g in others}
    report = run_backtest(spliced, {"current": DEFAULT_POLICY}, progress=False)
    assert report.refused == 1
    assert "1 events the projector could not take were left out" in report.to_markdown()
