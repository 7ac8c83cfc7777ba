"""A projector restored from its stored state (a worker restart) counts the weekly trend
exactly as one uninterrupted pass: the week its partition's clock is in travels with the
clock, so a restart mid-week does not carry groups over into that week a second time.

Found by the chaos test (tests/integration/test_chaos.py, seed 1717): after a worker
restart ``weekly_trend`` held one group too many in a week, against ``rebuild``.
"""

from __future__ import annotations

import pickle
from collections import Counter
from datetime import UTC, datetime, timedelta

from projections.engine import Outputs, Projector
from tests.unit.projections.builder import Clock, GroupScript, envelopes

MONDAY = datetime(2025, 1, 13, tzinfo=UTC)  # 2025-W03 begins


def _trend(out: Outputs) -> Counter:
    counts: Counter = Counter()
    for change in out.rows:
        if change.table == "weekly_trend":
            counts[change.key[1:]] += change.values["groups"]
    return +counts


def _restored(p: Projector) -> Projector:
    """What the worker restores from its read model: every state, pickled and back."""
    groups, programs, clock = pickle.loads(pickle.dumps((p.groups, p.programs, p.clock)))
    fresh = Projector()
    fresh.clock, fresh.programs = clock, programs
    for state in groups.values():
        fresh.adopt(state)
    return fresh


def test_a_restart_mid_week_does_not_count_a_late_group_again_in_that_week():
    clock = Clock()
    late = GroupScript("late", at=MONDAY - timedelta(days=3))  # its facts are of last week
    late.session(MONDAY - timedelta(days=3, hours=-2))
    before = [clock.tick(MONDAY), clock.tick(MONDAY + timedelta(hours=6)), *late.events]
    after = [clock.tick(MONDAY + timedelta(hours=h)) for h in (12, 18, 24)]
    events = envelopes(before + after)

    one_pass = Projector()
    whole = one_pass.run(events)

    first = Projector()
    head = first.run(events[: len(before)])
    tail = _restored(first).run(events[len(before) :])

    assert _trend(head) + _trend(tail) == _trend(whole)
