"""One pass over a stream of public events through the real projector, once per policy.

Every policy gets its own :class:`~projections.engine.Projector`; the naive rule and the
label facts see the same events. Level changes are recorded at the times the projector
judged them. As of every day in the range, each active group's level and
``Assessment.probability`` are sampled: a clock tick at that instant is given to each of
the stream's partitions first, so every group is judged up to it. Its groups being judged
only at their own grid times and events (decision 0013), such a tick changes no level a
later event would not; it only makes the sample exact.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from tqdm import tqdm

from projections.backtest.labels import Facts
from projections.backtest.naive import Changes, Naive
from projections.engine import Outputs, Projector
from projections.fold.envelope import TICK, Envelope, parse_time
from projections.readmodel.tables import LEVEL_HISTORY
from projections.risk.assess import RiskPolicy

log = logging.getLogger(__name__)
DAY = timedelta(days=1)
NAIVE = "naive"


class Sample(NamedTuple):
    """A group as of one sampling time: its level and P(dormant within 3 periods)."""

    at: datetime
    level: str
    probability: float | None


@dataclass
class Trace:
    """One detector over the stream: per group, level changes and samples in time order."""

    changes: dict[str, Changes] = field(default_factory=dict)
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    """As of every day in the range: the calibration's forecasts."""
    judged: dict[str, list[Sample]] = field(default_factory=dict)
    """At the projector's own judgement times where the level changed (probability if the
    level-history row carries it)."""


@dataclass
class Replayed:
    """What a replay saw: a trace per policy (and ``naive``), the label facts, the range."""

    traces: dict[str, Trace]
    facts: Facts
    start: datetime | None
    end: datetime | None
    events: int = 0
    refused: int = 0
    """Events a projector could not take: left out and counted, as the live worker
    quarantines them (``ProjectionRunner.handle``), so one bad event never stops a backtest."""


class Replay:
    """Feed events one by one (:meth:`feed`), then :meth:`finish`."""

    def __init__(
        self,
        policies: Mapping[str, RiskPolicy],
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> None:
        """``start``/``end``: the sampled range (default: the stream's first day to its
        last event); events after ``end`` only feed the labels."""
        if NAIVE in policies:
            raise ValueError(f"{NAIVE!r} names the naive rule; call the policy otherwise")
        self.projectors = {name: Projector(p, health_records=False) for name, p in policies.items()}
        self.outs = {name: Outputs() for name in policies}
        self.traces = {name: Trace() for name in (*policies, NAIVE)}
        self.naive, self.facts = Naive(), Facts()
        self.traces[NAIVE].changes = self.naive.changes
        self.start, self.end = start, end
        self.next_sample = _midnight_after(start) if start else None
        self.partitions: set[int] = set()
        self.events = 0
        self.refused = 0
        self.first: datetime | None = None
        self.latest: datetime | None = None

    def feed(self, ev: Envelope) -> None:
        """Process one event (in notification order)."""
        self.events += 1
        self.facts.see(ev)
        if self.end is not None and ev.time > self.end:
            return
        if self.next_sample is None:
            self.next_sample = _midnight_after(ev.time)
        self.latest = max(self.latest or ev.time, ev.time)
        self.first = min(self.first or ev.time, ev.time)
        while ev.time > self.next_sample and self._in_range(self.next_sample):
            self._sample(self.next_sample)
            self.next_sample += DAY
        self.partitions.add(ev.partition)
        self._project(ev)

    def finish(self) -> Replayed:
        """Sample the days left up to the range's end (never past the last event)."""
        last = min(self.end, self.latest) if self.end and self.latest else self.latest
        while last is not None and self.next_sample is not None and self.next_sample <= last:
            self._sample(self.next_sample)
            self.next_sample += DAY
        start, end = self.start or self.first, self.end or self.latest
        return Replayed(self.traces, self.facts, start, end, self.events, self.refused)

    def _in_range(self, at: datetime) -> bool:
        return self.end is None or at <= self.end

    def _project(self, ev: Envelope) -> None:
        self.naive.see(ev)
        refused = False
        for name, projector in self.projectors.items():
            out = self.outs[name]
            try:
                projector.process(ev, out)
            except (MemoryError, RecursionError):
                raise  # the process's resources, not the event
            except Exception as exc:  # the worker's rule: this event is quarantined
                if not refused:
                    self.refused += 1
                    log.warning("event %s (%s) left out of the backtest: %s: %s",
                                ev.id, ev.type, type(exc).__name__, exc)  # fmt: skip
                refused = True
            changes, judged = self.traces[name].changes, self.traces[name].judged
            for row in out.rows:
                if row.table == LEVEL_HISTORY.name:
                    at, level = parse_time(row.values["at"]), row.values["level"]
                    changes.setdefault(row.key[0], []).append((at, level))
                    sample = Sample(at, level, row.values.get("probability"))
                    judged.setdefault(row.key[0], []).append(sample)
            out.rows.clear()
            out.alerts.clear()
            out.health.clear()

    def _sample(self, at: datetime) -> None:
        for partition in sorted(self.partitions) or [0]:
            self._project(Envelope(TICK, "clock", at, {}, "clock", 0, partition))
        for name, projector in self.projectors.items():
            samples = self.traces[name].samples
            for group_id, s in projector.groups.items():
                a = s.assessment
                if a is not None and s.status == "active":
                    p = getattr(a, "probability", None)
                    samples.setdefault(group_id, []).append(Sample(at, a.level, p))


def _midnight_after(t: datetime) -> datetime:
    """The first midnight at or after ``t``."""
    midnight = t.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight if midnight == t else midnight + DAY


def replay(
    events: Iterable[Envelope],
    policies: Mapping[str, RiskPolicy],
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    progress: bool = True,
    total: int | None = None,
) -> Replayed:
    """Replay ``events`` for every policy (and the naive rule), with a progress bar."""
    r = Replay(policies, start, end)
    bar = tqdm(events, total=total, unit="ev", unit_scale=True, desc="backtest",
               disable=not progress)  # fmt: skip
    for ev in bar:
        r.feed(ev)
    return r.finish()
