"""Hand-built public events (CloudEvents dicts per docs/contract/EVENTS.md) for tests."""

from __future__ import annotations

import heapq
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from projections.engine import Projector
from projections.fold.envelope import Envelope, decode
from projections.fold.state import GroupState

T0 = datetime(2025, 1, 6, 18, 0, tzinfo=UTC)
CLOCK_ID = "00000000-0000-0000-0000-00000000c10c"


def uid(label: str) -> str:
    """A stable UUID for a readable label."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"peerpulse-test:{label}"))


def cloudevent(kind: str, aggregate: str, version: int, when: datetime, **data: Any) -> dict:
    """One public event as it travels on ``peerpulse.events.v1``."""
    return {
        "specversion": "1.0",
        "id": f"{aggregate}:{version}",
        "source": "peerpulse/domain",
        "type": f"peerpulse.{kind}.v1",
        "subject": aggregate,
        "time": when.isoformat(),
        "datacontenttype": "application/json",
        "data": {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in data.items()},
    }


class Clock:
    """The clock aggregate: ticks with increasing versions."""

    def __init__(self) -> None:
        self.version = 0

    def tick(self, at: datetime) -> dict:
        self.version += 1
        return cloudevent("clock.ticked", CLOCK_ID, self.version, at, at=at)


class GroupScript:
    """Builds one group's event history: form, join, sessions, commitments, lapses."""

    def __init__(
        self,
        name: str = "g",
        members: int = 5,
        cadence: str = "weekly",
        program_id: str | None = None,
        at: datetime = T0,
    ) -> None:
        self.group_id, self.version = uid(f"group:{name}"), 0
        self.program_id = program_id or uid("program:p")
        self.members = [uid(f"member:{name}:{i}") for i in range(members)]
        self.events: list[dict] = []
        self.sessions = 0
        self.emit("group.formed", at, name=name, cadence=cadence, goal="grow", coordinator_id=None)
        for i, m in enumerate(self.members):
            self.emit("member.joined", at, member_id=m, role="facilitator" if i == 0 else "peer")

    def emit(self, kind: str, at: datetime, **data: Any) -> dict:
        self.version += 1
        ev = cloudevent(kind, self.group_id, self.version, at, program_id=self.program_id, **data)
        self.events.append(ev)
        return ev

    def session(
        self,
        at: datetime,
        present: int | list[str] | None = None,
        commitments: int = 0,
        kept: int = 0,
    ) -> str:
        """Hold a session with the first ``present`` members; they commit and keep."""
        self.sessions += 1
        sid = uid(f"session:{self.group_id}:{self.sessions}")
        here = present if isinstance(present, list) else self.members[: present or 0]
        if present is None:
            here = list(self.members)
        away = [m for m in self.members if m not in here]
        self.emit("session.scheduled", at - timedelta(days=1), session_id=sid, scheduled_for=at)
        self.emit(
            "session.held",
            at,
            session_id=sid,
            present=here,
            absent=away,
            excused=[],
            attendance_taken=True,
        )
        for i in range(commitments):
            cid = uid(f"c:{sid}:{i}")
            self.emit(
                "commitment.made",
                at,
                commitment_id=cid,
                member_id=here[i % len(here)],
                session_id=sid,
                due=None,
            )
            if i < kept:
                self.emit(
                    "commitment.kept",
                    at + timedelta(days=5),
                    commitment_id=cid,
                    member_id=here[i % len(here)],
                )
        return sid

    def cancel(self, at: datetime, reason: str = "nobody could make it") -> None:
        self.sessions += 1
        sid = uid(f"session:{self.group_id}:{self.sessions}")
        self.emit("session.cancelled", at, session_id=sid, reason=reason)

    def intervene(self, at: datetime, what: str = "call", coordinator: str = "coordinator",
                  merged_into: str | None = None) -> None:  # fmt: skip
        """A coordinator's intervention (``what``: call, message, meeting, merged, ended)."""
        ev = self.emit("intervention.logged", at, coordinator_id=uid(coordinator), note="",
                       merged_into=merged_into)  # fmt: skip
        ev["data"]["kind"] = what

    def lapse(self, at: datetime, member: str, misses: int = 3) -> None:
        self.emit("member.lapsed", at, member_id=member, misses=misses, last_seen=None)


def weekly(start: datetime, n: int, every: float = 7.0) -> list[datetime]:
    """``n`` session times ``every`` days apart."""
    return [start + timedelta(days=every * i) for i in range(n)]


def ticks(clock: Clock, start: datetime, end: datetime, hours: int = 6) -> list[dict]:
    """Clock ticks every ``hours`` from ``start`` to ``end`` inclusive."""
    out, at = [], start
    while at <= end:
        out.append(clock.tick(at))
        at += timedelta(hours=hours)
    return out


def merge(*streams: list[dict]) -> list[dict]:
    """Interleave event lists roughly by time, never reordering events within one list."""
    return list(heapq.merge(*streams, key=lambda e: e["time"]))


def envelopes(events: list[dict], partition: int = 0) -> list[Envelope]:
    """Decode events as the worker would, with offsets in list order."""
    return [decode(e, None, partition, i) for i, e in enumerate(events)]


def state_of(script: GroupScript) -> GroupState:
    """The projector's state of the group after all of the script's events."""
    p = Projector()
    p.run(envelopes(script.events))
    return p.groups[script.group_id]


def steady(n: int = 6, members: int = 5) -> GroupScript:
    """A group meeting every week, everyone there, commitments mostly kept."""
    g = GroupScript("steady", members=members)
    for at in weekly(T0, n):
        g.session(at, commitments=3, kept=2)
    return g
