"""Synthetic but realistic event histories for the projection benchmarks.

Groups of 3–6 members (a facilitator and peers) in 20 programs meet weekly or fortnightly:
each session is scheduled, held with per-member attendance (members have their own
attendance rates), sometimes corrected by a late attendance mark; present members make
commitments that are kept, missed or dropped before the next session; some sessions are
cancelled; members who miss three in a row lapse and re-engage when they come back.
Fates: most groups stay steady, some fade then stop, some stop abruptly (three in four of
those are dissolved by their coordinator 3–6 weeks later, the rest stay dormant), some
pause for three weeks, some conclude. Clock ticks every 6 hours go to every partition. Events are
CloudEvents JSON per docs/contract/EVENTS.md, merged in time order.
"""

from __future__ import annotations

import heapq
import json
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

T0 = datetime(2025, 1, 6, tzinfo=UTC)
TICK = timedelta(hours=6)
PROGRAMS = [str(uuid.UUID(int=(0xA << 120) | i)) for i in range(20)]
CLOCK = str(uuid.UUID(int=0xC10C))
Record = tuple[bytes, bytes, list[tuple[str, bytes]], int | None]
"""``(key, value, headers, partition)``; partition None means "by key"."""


def _doc(kind: str, subject: str, version: int, at: datetime, data: dict) -> bytes:
    return json.dumps(
        {
            "specversion": "1.0",
            "id": f"{subject}:{version}",
            "source": "peerpulse/domain",
            "type": f"peerpulse.{kind}.v1",
            "subject": subject,
            "time": at.isoformat(),
            "datacontenttype": "application/json",
            "data": data,
        },
        separators=(",", ":"),
    ).encode()


class _Group:
    """One group's history as a time-ordered generator of ``(time, record)``."""

    def __init__(self, g: int, weeks: int, rng: random.Random) -> None:
        self.id, self.rng, self.v = str(uuid.UUID(int=(0xB << 120) | g)), rng, 0
        self.program = PROGRAMS[g % len(PROGRAMS)]
        self.start = T0 + timedelta(days=g % 14, hours=rng.randint(8, 20))
        self.cadence = "weekly" if rng.random() < 0.8 else "fortnightly"
        n = rng.randint(3, 6)
        self.members = [str(uuid.UUID(int=(0xD << 120) | (g << 8) | i)) for i in range(n)]
        self.rate = {m: rng.uniform(0.7, 0.98) for m in self.members}
        self.weeks, self.fate = (
            weeks,
            rng.choices(("steady", "fade", "stop", "pause", "conclude"), (75, 10, 6, 5, 4))[0],
        )
        self.end_week = rng.randint(weeks // 2, weeks - 2)

    def ev(self, kind: str, at: datetime, **data) -> tuple[datetime, Record]:
        self.v += 1
        value = _doc(kind, self.id, self.v, at, {"program_id": self.program, **data})
        return at, (
            self.id.encode(),
            value,
            [("pp-aggregate-version", b"%d" % self.v), ("pp-type", kind.encode())],
            None,
        )

    def events(self) -> Iterator[tuple[datetime, Record]]:
        at, r = self.start, self.rng
        yield self.ev(
            "group.formed",
            at,
            name=f"Group {self.id[-6:]}",
            cadence=self.cadence,
            goal="grow",
            coordinator_id=None,
        )
        for i, m in enumerate(self.members):
            yield self.ev(
                "member.joined", at, member_id=m, role="facilitator" if i == 0 else "peer"
            )
        step = timedelta(days=7 if self.cadence == "weekly" else 14)
        misses = dict.fromkeys(self.members, 0)
        open_: list[tuple[str, str]] = []
        k = 0
        while (at := at + step) < self.start + timedelta(weeks=self.weeks):
            k += 1
            week = (at - self.start).days // 7
            if self.fate in ("stop", "fade", "conclude") and week >= self.end_week:
                if self.fate == "conclude":
                    yield self.ev("group.concluded", at, reason="goal reached")
                elif r.random() < 0.75:
                    yield self.ev(
                        "group.dissolved",
                        at + timedelta(weeks=r.randint(3, 6)),
                        reason="stopped meeting",
                    )
                return
            if self.fate == "pause" and week == self.end_week:
                until = at + timedelta(weeks=3)
                yield self.ev(
                    "group.paused", at - timedelta(days=3), until=until.isoformat(), reason="exams"
                )
                at = until
                continue
            sid = f"{self.id}-s{k}"
            yield self.ev(
                "session.scheduled",
                at - timedelta(days=2),
                session_id=sid,
                scheduled_for=at.isoformat(),
            )
            for cid, m in open_:
                outcome = r.choices(("kept", "missed", "dropped"), (6, 3, 1))[0]
                yield self.ev(
                    f"commitment.{outcome}", at - timedelta(days=1), commitment_id=cid, member_id=m
                )
            open_ = []
            if r.random() < 0.05:
                yield self.ev("session.cancelled", at, session_id=sid, reason="nobody could come")
                continue
            fade = 0.12 * max(0, week - self.end_week + 6) if self.fate == "fade" else 0.0
            here = [m for m in self.members if r.random() < self.rate[m] - fade]
            away = [m for m in self.members if m not in here]
            excused = [m for m in away if r.random() < 0.3]
            yield self.ev(
                "session.held",
                at,
                session_id=sid,
                present=here,
                absent=[m for m in away if m not in excused],
                excused=excused,
                attendance_taken=True,
            )
            if away and r.random() < 0.1:
                late = away[0]
                yield self.ev(
                    "attendance.marked",
                    at + timedelta(hours=1),
                    session_id=sid,
                    member_id=late,
                    status="present",
                )
                here.append(late)
            for m in self.members:
                if m in here:
                    if misses[m] >= 3:
                        yield self.ev(
                            "member.reengaged", at + timedelta(hours=2), member_id=m, session_id=sid
                        )
                    misses[m] = 0
                elif m not in excused:
                    misses[m] += 1
                    if misses[m] == 3:
                        yield self.ev(
                            "member.lapsed",
                            at + timedelta(hours=2),
                            member_id=m,
                            misses=3,
                            last_seen=None,
                        )
            for m in here:
                if r.random() < 0.5:
                    cid = f"{sid}-c-{m[-4:]}"
                    open_.append((cid, m))
                    yield self.ev(
                        "commitment.made",
                        at + timedelta(hours=1),
                        commitment_id=cid,
                        member_id=m,
                        session_id=sid,
                        due=None,
                    )


def _ticks(partitions: int, until: datetime) -> Iterator[tuple[datetime, Record]]:
    for p in PROGRAMS:
        yield (
            T0,
            (
                p.encode(),
                _doc(
                    "program.launched",
                    p,
                    1,
                    T0,
                    {
                        "name": f"Program {p[-2:]}",
                        "organisation": "Uni",
                        "cadence": "weekly",
                        "lapse_after": 3,
                        "escalate_after_days": 3,
                    },
                ),
                [("pp-aggregate-version", b"1")],
                None,
            ),
        )
    at, v = T0, 0
    while at <= until:
        v += 1
        value = _doc("clock.ticked", CLOCK, v, at, {"at": at.isoformat()})
        headers = [("pp-aggregate-version", b"%d" % v), ("pp-type", b"clock.ticked")]
        for p in range(partitions):
            yield at, (b"clock", value, headers, p)
        at += TICK


def events_per_group(weeks: int, sample: int = 300) -> float:
    """Mean number of events one group produces over ``weeks`` (a pilot sample)."""
    return (
        sum(sum(1 for _ in _Group(g, weeks, random.Random(g)).events()) for g in range(sample))
        / sample
    )


def history(groups: int, weeks: int = 20, partitions: int = 3, seed: int = 7) -> Iterator[Record]:
    """Every group's events and the clock ticks, merged in time order."""
    streams = [
        _Group(g, weeks, random.Random(seed * 1_000_003 + g)).events() for g in range(groups)
    ]
    end = T0 + timedelta(weeks=weeks + 1)
    merged = heapq.merge(
        *(_tagged(i, s) for i, s in enumerate(streams)),
        _tagged(-1, _ticks(partitions, end)),
        key=lambda x: x[0],
    )
    for _, rec in merged:
        yield rec


def _tagged(i: int, stream: Iterator[tuple[datetime, Record]]):
    for t, rec in stream:
        yield (t, i), rec


def synthetic(n_events: int, weeks: int = 20, partitions: int = 3) -> Iterator[Record]:
    """Exactly ``n_events`` records of a history sized to produce about that many."""
    ticks = (weeks + 1) * 28 * partitions
    groups = max(1, int((n_events - ticks) / events_per_group(weeks) * 1.03) + 1)
    for i, rec in enumerate(history(groups, weeks, partitions)):
        if i >= n_events:
            return
        yield rec
