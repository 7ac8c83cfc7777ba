"""The projector keeps each group's timeless reasons per applied event
(``Projector._timeless_reasons``); keeping them must never change what it writes."""

from __future__ import annotations

from benchmarks._projection_events import synthetic
from projections.engine import Projector
from projections.fold.envelope import decode
from projections.risk.assess import timeless_reasons


class _Uncached(Projector):
    """Recomputes the timeless reasons at every assessment."""

    def _timeless_reasons(self, s):
        return timeless_reasons(s, self.policy)


def test_kept_timeless_reasons_give_the_outputs_of_recomputing_them():
    events = [decode(v, h, p or 0) for _, v, h, p in synthetic(20_000, weeks=12, partitions=2)]
    kept, fresh = Projector().run(events), _Uncached().run(events)
    assert len(kept.rows) > 10_000 and kept.alerts  # a history with plenty to judge
    assert kept.rows == fresh.rows
    assert kept.health == fresh.health
    assert kept.alerts == fresh.alerts
