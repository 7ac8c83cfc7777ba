"""The read-model table catalogue: every table the projections write, declared once.

Pure data (no SQL driver): the engine names tables from here in the row changes it
emits, and :mod:`projections.readmodel.store` turns the same catalogue into DDL and upserts.
Timestamps are stored as ISO 8601 text and JSON as text, identically on SQLite and
PostgreSQL, so two read models can be compared row by row.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    """One table: name, primary-key columns, and every column with its SQL type."""

    name: str
    key: tuple[str, ...]
    columns: dict[str, str]


def _t(table: str, key: tuple[str, ...], **columns: str) -> Table:
    return Table(table, key, columns)


GROUP_HEALTH = _t(
    "group_health",
    ("group_id",),
    group_id="TEXT NOT NULL",
    program_id="TEXT",
    name="TEXT",
    cadence="TEXT",
    coordinator_id="TEXT",
    status="TEXT",
    members="INTEGER",
    level="TEXT",
    score="REAL",
    probability="REAL",
    reasons="TEXT",
    level_since="TEXT",
    last_session_at="TEXT",
    sessions_held="INTEGER",
    sessions_cancelled="INTEGER",
    paused_until="TEXT",
    updated_at="TEXT",
    version="INTEGER",
)
LEVEL_HISTORY = _t(
    "level_history",
    ("group_id", "seq"),
    group_id="TEXT NOT NULL",
    seq="INTEGER NOT NULL",
    program_id="TEXT",
    at="TEXT",
    level="TEXT",
    previous_level="TEXT",
    score="REAL",
    probability="REAL",
    reasons="TEXT",
    version="INTEGER",
)
PROGRAM_ROLLUP = _t(
    "program_rollup",
    ("program_id",),
    program_id="TEXT NOT NULL",
    name="TEXT",
    organisation="TEXT",
    cadence="TEXT",
    lapse_after="INTEGER",
    coordinators="INTEGER",
    launched_at="TEXT",
    healthy="INTEGER DEFAULT 0",
    watch="INTEGER DEFAULT 0",
    at_risk="INTEGER DEFAULT 0",
    dormant="INTEGER DEFAULT 0",
    ended="INTEGER DEFAULT 0",
)
WEEKLY_TREND = _t(
    "weekly_trend",
    ("program_id", "week", "level"),
    program_id="TEXT NOT NULL",
    week="TEXT NOT NULL",
    level="TEXT NOT NULL",
    groups="INTEGER DEFAULT 0",
)
GROUP_TIMELINE = _t(
    "group_timeline",
    ("group_id", "item_id"),
    group_id="TEXT NOT NULL",
    item_id="TEXT NOT NULL",
    kind="TEXT",
    status="TEXT",
    at="TEXT",
    member_id="TEXT",
    present="INTEGER",
    absent="INTEGER",
    excused="INTEGER",
    detail="TEXT",
    version="INTEGER",
)
MEMBER_ENGAGEMENT = _t(
    "member_engagement",
    ("group_id", "member_id"),
    group_id="TEXT NOT NULL",
    member_id="TEXT NOT NULL",
    program_id="TEXT",
    role="TEXT",
    joined_at="TEXT",
    left_at="TEXT",
    present="INTEGER",
    absent="INTEGER",
    excused="INTEGER",
    last_seen="TEXT",
    lapsed="INTEGER",
    made="INTEGER",
    kept="INTEGER",
    missed="INTEGER",
    dropped="INTEGER",
)
FLAG_EPISODES = _t(
    "flag_episodes",
    ("group_id", "seq"),
    group_id="TEXT NOT NULL",
    seq="INTEGER NOT NULL",
    program_id="TEXT",
    flagged_at="TEXT",
    first_intervention_at="TEXT",
    first_intervention_kind="TEXT",
    first_intervention_by="TEXT",
    interventions="INTEGER",
    outcome="TEXT",
    outcome_at="TEXT",
)
"""One row per flag episode (decision 0019): flagged (entered at_risk) → first intervention,
if any → outcome: ``recovered``, ``recovered_late``, ``went_dormant``, ``ended`` or
``still_at_risk`` (open, ``outcome_at`` null)."""
PROGRAM_EPISODES = _t(
    "program_episodes",
    ("program_id",),
    program_id="TEXT NOT NULL",
    flagged="INTEGER DEFAULT 0",
    reached_out="INTEGER DEFAULT 0",
    recovered="INTEGER DEFAULT 0",
    reached_out_recovered="INTEGER DEFAULT 0",
    recovered_late="INTEGER DEFAULT 0",
    went_dormant="INTEGER DEFAULT 0",
    ended="INTEGER DEFAULT 0",
    still_at_risk="INTEGER DEFAULT 0",
)
"""Per program since it launched: flag episodes begun, reached out (an intervention between
flag and outcome), each outcome, and ``reached_out_recovered`` (recovered after outreach)."""
CHECKPOINT = _t(
    "projector_checkpoint",
    ("topic", "partition"),
    topic="TEXT NOT NULL",
    partition="INTEGER NOT NULL",
    next_offset="INTEGER NOT NULL",
    owner_epoch="INTEGER",
    owner="TEXT",
)
"""``owner_epoch``: the fence of the worker that owns the partition (decision 0025): raised
by every claim, and every batch's write must carry the current one. ``owner``: who claimed
it (``host pid=N``), for ``peerpulse status``."""
STATE = _t(
    "projector_state",
    ("kind", "id"),
    kind="TEXT NOT NULL",
    id="TEXT NOT NULL",
    format="INTEGER NOT NULL",
    body="BLOB",
    partition="INTEGER",
)
"""``partition``: the events-topic partition whose records made the state (a group's, a
program's, a partition clock's), so a worker restores only the partitions it owns."""

READ_MODEL: tuple[Table, ...] = (
    GROUP_HEALTH,
    LEVEL_HISTORY,
    PROGRAM_ROLLUP,
    WEEKLY_TREND,
    GROUP_TIMELINE,
    MEMBER_ENGAGEMENT,
    FLAG_EPISODES,
    PROGRAM_EPISODES,
)
"""The tables a dashboard reads (compared row by row between live and rebuild)."""
SHARED: frozenset[str] = frozenset(t.name for t in (PROGRAM_ROLLUP, WEEKLY_TREND, PROGRAM_EPISODES))
"""Tables whose rows workers owning different partitions write alike (per-program counters
and descriptions); every other row belongs to one group, so to one partition's owner."""
INTERNAL: tuple[Table, ...] = (CHECKPOINT, STATE)
"""The projector's own bookkeeping, written in the same transaction as the read model."""
ALL_TABLES: tuple[Table, ...] = READ_MODEL + INTERNAL
BY_NAME: dict[str, Table] = {t.name: t for t in ALL_TABLES}
