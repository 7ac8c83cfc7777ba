"""Fast or slow publishing gives the same flags: every group is judged on its own timeline.

Simulated programs go through the in-process ingest -> event store -> relay path of the
detection benchmark; their public events are then fed to the projector in orders that
fast and slow publishing produce (decision 0013): in time order with every tick between,
in per-partition chunks with the ticks after all events, and with ticks that ran ahead of
groups whose history arrives later in one burst.
"""

from __future__ import annotations

import heapq
import random
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks._detection_replay import Pipeline
from infra.simulator import simulate
from projections.engine import Outputs, Projector
from projections.fold.envelope import TICK, Envelope
from projections.risk.schedule import TICK_EVERY, grid_at_or_after
from tests.unit.projections.builder import CLOCK_ID

END = datetime(2025, 6, 1, tzinfo=UTC)
PARTITIONS = 3
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
EVENTS_FIRST, TICKS_FIRST = 0, 2
"""Where a group's events go among ticks of the same time (ticks sort as 1)."""


@lru_cache(maxsize=8)
def program(seed: int, groups: int = 24, weeks: int = 10) -> tuple[tuple[Envelope, ...], tuple]:
    """The simulated program's public events (ticks dropped, partitioned by subject) and
    the 6-hour grid from its first event to when its dying groups are dormant."""
    sim = simulate(seed, END, groups, weeks)
    horizon = max([t.dormant_at for t in sim.truth if t.dies] + [sim.end]) + timedelta(days=1)
    events = tuple(
        replace(e, partition=zlib.crc32(e.subject.encode()) % PARTITIONS)
        for e in Pipeline().events(sim, horizon)
        if e.type != TICK
    )
    at, grid = grid_at_or_after(events[0].time), []
    while at <= horizon:
        grid.append(at)
        at += TICK_EVERY
    return events, tuple(grid)


def ticks(grid: tuple, partition: int) -> list[Envelope]:
    """One tick per grid time, as the relay sends them to every partition."""
    return [
        Envelope(TICK, CLOCK_ID, at, {"at": at.isoformat()}, CLOCK_ID, i + 1, partition)
        for i, at in enumerate(grid)
    ]


def interleaved(events, grid, release=None, phase=None) -> list[Envelope]:
    """Events among ticks by time, each subject's events in their recorded order. A subject's
    events up to its ``release`` time wait for the tick there (ticks that ran ahead of it);
    ``phase`` puts its events before or after ticks of the same time."""
    release, phase = release or {}, phase or {}
    streams: dict[str, list] = {}
    for e in events:
        key = (max(e.time, release.get(e.subject, NEVER)), phase.get(e.subject, EVENTS_FIRST))
        streams.setdefault(e.subject, []).append((key, e))
    clock = [((t.time, 1), t) for p in range(PARTITIONS) for t in ticks(grid, p)]
    return [e for _, e in heapq.merge(clock, *streams.values(), key=lambda x: x[0])]


def chunked(events, grid) -> list[Envelope]:
    """Per partition: all of its events, then all of its ticks (a fast backfill)."""
    return [
        e
        for p in range(PARTITIONS)
        for e in [*(e for e in events if e.partition == p), *ticks(grid, p)]
    ]


def flags(stream: list[Envelope]) -> tuple[list, list, dict]:
    """Level history rows and alert intents (sorted by key) and each group's last health row."""
    out = Projector().run(stream, Outputs())
    history = sorted(
        (r.key, sorted(r.values.items())) for r in out.rows if r.table == "level_history"
    )
    health = {r.key: r.values for r in out.rows if r.table == "group_health"}
    ids = [a["id"] for a in out.alerts]
    assert len(ids) == len(set(ids)), "alert ids are unique"
    return history, sorted(out.alerts, key=lambda a: a["id"]), health


def early(events, seed: int) -> tuple[dict, dict]:
    """Half the groups' histories held back to a random grid time after their start; ticks
    go first at equal times."""
    rng, release = random.Random(seed), {}
    for e in events:
        if e.subject not in release:
            late = rng.random() < 0.5
            release[e.subject] = (
                grid_at_or_after(e.time + timedelta(days=rng.randint(1, 60))) if late else NEVER
            )
    return release, dict.fromkeys(release, TICKS_FIRST)


def test_fast_and_slow_publishing_give_identical_flags_and_intents():
    for seed in (1, 2, 3):
        events, grid = program(seed)
        slow = flags(interleaved(events, grid))
        history, alerts, _ = slow
        assert {dict(v)["level"] for _, v in history} >= {"at_risk", "dormant"}
        assert any(a["type"] == "peerpulse.alert.group-at-risk.v1" for a in alerts)
        assert flags(chunked(events, grid)) == slow, f"seed {seed}: chunked"
        assert flags(interleaved(events, grid, *early(events, seed))) == slow, f"seed {seed}"


def test_a_group_whose_history_arrives_after_the_clock_is_judged_on_its_own_timeline():
    events, grid = program(4)
    late = {e.subject: grid[-1] for e in events}
    assert flags(interleaved(events, grid, late)) == flags(interleaved(events, grid))


@settings(max_examples=12, deadline=None)
@given(st.data())
def test_any_valid_interleaving_of_events_and_ticks_gives_the_same_flags(data):
    events, grid = program(5, groups=12, weeks=8)
    subjects = sorted({e.subject for e in events})
    release = {s: data.draw(st.sampled_from((NEVER, *grid[::20]))) for s in subjects}
    phase = {s: data.draw(st.sampled_from((EVENTS_FIRST, TICKS_FIRST))) for s in subjects}
    assert flags(interleaved(events, grid, release, phase)) == flags(interleaved(events, grid))


def test_commitment_detail_is_exactly_what_json_dumps_writes():
    import json

    from projections.outputs.timeline import commitment_detail

    values = [None, "", "s-1", "2026-12-01", 'quote " and \\ back', "caf\u00e9 \u2603 \U0001f600",
              "\ud800", "tab\tnew\nline", 7, 1.5, True, ["x"], {"k": "v"}]  # fmt: skip
    for session_id in values:
        for due in values:
            expected = json.dumps({"session_id": session_id, "due": due})
            assert commitment_detail(session_id, due) == expected
