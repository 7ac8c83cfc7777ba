"""A small, realistic read model and alert set for API and dashboard tests.

Rows are written straight into the read-model tables of :mod:`projections.readmodel.tables` (the
projection engine is tested elsewhere); alerts go through the real :class:`AlertStore`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from projections.readmodel import tables as T

PROGRAM_A = uuid.UUID("a0000000-0000-4000-8000-00000000000a")
PROGRAM_B = uuid.UUID("b0000000-0000-4000-8000-00000000000b")
NOW = datetime(2025, 3, 3, 12, tzinfo=UTC)


def gid(n: int) -> str:
    """Group id number ``n``."""
    return f"00000000-0000-4000-8000-{n:012d}"


def mid(n: int) -> str:
    """Member id number ``n``."""
    return f"11111111-0000-4000-8000-{n:012d}"


REASONS = {
    "at_risk": [
        ("cadence_gap", "No session for 19 days: weekly cadence, 2.7 periods", 0.45),
        ("members_lapsed", "2 of 5 members lapsed", 0.3),
    ],
    "dormant": [("cadence_gap", "No session for 44 days: weekly cadence, 6.3 periods", 0.7)],
    "watch": [("attendance_falling", "Attendance fell from 90% to 60% over 4 sessions", 0.3)],
    "healthy": [],
}
GROUPS = [  # n, program, name, level, score
    (1, PROGRAM_A, "Circle 7 — Founders", "at_risk", 0.75),
    (2, PROGRAM_A, "Circle 3 — Growth", "dormant", 1.0),
    (3, PROGRAM_A, "Circle 9 — Product", "watch", 0.3),
    (4, PROGRAM_A, "Circle 1 — Hiring", "healthy", 0.05),
    (5, PROGRAM_A, "Circle 4 — Fundraising", "healthy", 0.0),
    (6, PROGRAM_B, "Mentors West", "at_risk", 0.6),
]
COORD_1 = "c1000000-0000-4000-8000-0000000000c1"
COORD_2 = "c2000000-0000-4000-8000-0000000000c2"
COORDINATOR = {1: COORD_1, 2: COORD_1, 3: COORD_2, 4: COORD_1, 5: COORD_2, 6: COORD_2}
"""Each group's own coordinator: Circle 7, Circle 3 and Circle 1 are COORD_1's."""
PROBABILITY = {6: 0.8}
"""The model's probability where it is not the score: Mentors West (score 0.6) is likelier
to go dormant than Circle 7 (0.75), so triage and ``-score`` order them differently."""
PROFILES = {mid(n): f"Member {chr(64 + n)}" for n in range(1, 6)}


@dataclass
class Profile:
    display_name: str | None
    contact: str | None
    forgotten: bool = False


class FakeApp:
    """Stands in for EngagementApp where only ``member_profile`` is needed (and, for the
    onboarding endpoints, a store that knows no program, group or unmatched item)."""

    def member_profile(self, member_id):
        name = PROFILES.get(str(member_id))
        return Profile(name, None, forgotten=name is None)

    def get_program(self, program_id):
        from domain.errors import UnknownProgram

        raise UnknownProgram(program_id)

    def get_group(self, group_id):
        from domain.errors import UnknownGroup

        raise UnknownGroup(group_id)

    def coordinator_contact(self, program_id, coordinator_id):
        """Only COORD_1 has a name in the directory (the triage shows others by id)."""
        from domain.errors import UnknownProgram

        if str(coordinator_id) == COORD_1:
            return SimpleNamespace(coordinator_id=coordinator_id, name="Ana Coordinator")
        raise UnknownProgram(program_id)

    def unmatched(self, program_id):
        """No program of the seed has unmatched attendance (decision 0021)."""
        return None

    def close(self):
        pass


def _insert(batch, table: T.Table, **row) -> None:
    from projections.outputs.rows import RowChange

    key = tuple(row.pop(k) for k in table.key)
    batch.add([RowChange(table.name, key, row)])


def _reasons(level: str) -> str:
    return json.dumps([{"code": c, "text": t, "weight": w} for c, t, w in REASONS[level]])


def seed_readmodel(settings) -> None:
    """Write programs, groups, trends, a timeline, members and level history through the
    projections' own :class:`ReadModel` (its DDL, SQLite or PostgreSQL)."""
    from projections.readmodel.batch import Batch
    from projections.readmodel.store import ReadModel

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    batch = Batch()
    _programs(batch)
    for n, program, name, level, score in GROUPS:
        _insert(batch, T.GROUP_HEALTH, group_id=gid(n), program_id=str(program), name=name,
                cadence="weekly", coordinator_id=COORDINATOR[n], status="active", members=5,
                level=level, score=score, probability=PROBABILITY.get(n, score),
                reasons=_reasons(level), level_since=(NOW - timedelta(days=n)).isoformat(),
                last_session_at=(NOW - timedelta(days=19)).isoformat(), sessions_held=6,
                sessions_cancelled=1, updated_at=NOW.isoformat(), version=40)  # fmt: skip
    _trend(batch)
    _group_one(batch)
    model = ReadModel(settings).open()
    try:
        model.write(batch)
    finally:
        model.close()


def _programs(batch) -> None:
    for program, name, levels in (
        (PROGRAM_A, "Founders 2025", (2, 1, 1, 1)),
        (PROGRAM_B, "Engineering mentors", (0, 0, 1, 0)),
    ):
        healthy, watch, at_risk, dormant = levels
        _insert(batch, T.PROGRAM_ROLLUP, program_id=str(program), name=name,
                organisation="Northbridge", cadence="weekly", lapse_after=3, coordinators=1,
                launched_at=(NOW - timedelta(days=90)).isoformat(), healthy=healthy,
                watch=watch, at_risk=at_risk, dormant=dormant, ended=0)  # fmt: skip


def _trend(batch) -> None:
    at_risk = [0, 0, 1, 1, 2, 1, 2, 2]
    for i, count in enumerate(at_risk):
        week = f"2025-W{2 + i:02d}"
        for level, groups in (("at_risk", count), ("healthy", 5 - count), ("dormant", i // 6)):
            _insert(batch, T.WEEKLY_TREND, program_id=str(PROGRAM_A), week=week, level=level,
                    groups=groups)  # fmt: skip


def _group_one(batch) -> None:
    g = gid(1)
    members = [mid(n) for n in range(1, 6)]
    for i in range(6):
        at = NOW - timedelta(days=19 + 7 * (5 - i))
        present = members[: 5 - i // 2]
        absent = [m for m in members if m not in present]
        detail = {"present": present, "absent": absent, "excused": [], "attendance_taken": True}
        _insert(batch, T.GROUP_TIMELINE, group_id=g, item_id=f"s{i}", kind="session",
                status="held", at=at.isoformat(), present=len(present), absent=len(absent),
                excused=0, detail=json.dumps(detail), version=10 + i)  # fmt: skip
    _insert(
        batch,
        T.GROUP_TIMELINE,
        group_id=g,
        item_id="s6",
        kind="session",
        status="cancelled",
        at=(NOW - timedelta(days=12)).isoformat(),
        detail=json.dumps({"reason": "holiday"}),
    )
    for i, status in enumerate(["kept", "kept", "missed", "made"]):
        _insert(batch, T.GROUP_TIMELINE, group_id=g, item_id=f"c{i}", kind="commitment",
                status=status, member_id=members[i], at=(NOW - timedelta(days=30)).isoformat(),
                detail=json.dumps({"session_id": "s3", "due": None}))  # fmt: skip
    for n, m in enumerate(members, start=1):
        lapsed = int(n >= 4)
        _insert(batch, T.MEMBER_ENGAGEMENT, group_id=g, member_id=m, program_id=str(PROGRAM_A),
                role="facilitator" if n == 1 else "peer",
                joined_at=(NOW - timedelta(days=80)).isoformat(), present=6 - lapsed * 3,
                absent=lapsed * 3, excused=0, last_seen=(NOW - timedelta(days=19)).isoformat(),
                lapsed=lapsed, made=2, kept=1, missed=1 - lapsed, dropped=lapsed)  # fmt: skip
    for seq, (level, prev) in enumerate(
        [("healthy", None), ("watch", "healthy"), ("at_risk", "watch")], start=1
    ):
        _insert(batch, T.LEVEL_HISTORY, group_id=g, seq=seq, program_id=str(PROGRAM_A),
                at=(NOW - timedelta(days=60 - 20 * seq)).isoformat(), level=level,
                previous_level=prev, score=0.25 * seq, reasons=_reasons(level))  # fmt: skip


def seed_alerts(settings) -> list[str]:
    """Three alerts in program A (open, acknowledged, escalated), one in B; their ids."""
    from consumers.alerts.model import Alert, Decision
    from consumers.alerts.sql import Database
    from consumers.alerts.store import AlertStore

    store = AlertStore(Database(settings))
    rows = [
        ("al-1", f"health:{gid(1)}", "group-at-risk", PROGRAM_A, gid(1), None, "delivered"),
        ("al-2", f"lapse:{gid(1)}:{mid(4)}", "member-lapsed", PROGRAM_A, gid(1), mid(4),
         "acknowledged"),
        ("al-3", f"health:{gid(2)}", "group-dormant", PROGRAM_A, gid(2), None, "escalated"),
        ("al-4", f"health:{gid(6)}", "group-at-risk", PROGRAM_B, gid(6), None, "delivered"),
    ]  # fmt: skip
    alerts = [
        Alert(alert_id=i, alert_key=k, kind=kind, program_id=str(p), group_id=g, member_id=m,
              status=s, raised_at=NOW - timedelta(days=2), updated_at=NOW - timedelta(hours=n),
              gravity=2, detail={"level": "at_risk", "reasons": [{"code": "cadence_gap",
              "text": "No session for 19 days", "weight": 0.45}]})
        for n, (i, k, kind, p, g, m, s) in enumerate(rows)
    ]  # fmt: skip
    store.apply(Decision(alerts=alerts))
    store.db.close()
    return [a.alert_id for a in alerts]
