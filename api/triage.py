"""Triage of groups: which ones a reader sees, in what order, filtered how (issue 14).

The order puts the saveable groups first: ``at_risk`` by the risk model's probability
(highest first), then ``watch``, then ``healthy``; ``dormant`` groups come after them in
their own section ("gone quiet: reach out or close"), quiet the longest first (their
probability is all but 1), and ended groups last. Every row
carries its ``section``: ``triage``, ``gone_quiet`` or ``ended``. Pure SQL building: the
:class:`~api.queries.Queries` run it over the read model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

LEVELS = ("at_risk", "watch", "healthy", "dormant")
ENDED = ("concluded", "dissolved")
SECTIONS = ("triage", "gone_quiet", "ended")
CHANCE = "COALESCE(probability, score, 0)"
ENDED_SQL = f"status IN ({', '.join(repr(s) for s in ENDED)})"
_RANK = (
    f"CASE WHEN {ENDED_SQL} THEN 5 WHEN level = 'at_risk' THEN 0 WHEN level = 'watch' THEN 1 "
    "WHEN level = 'healthy' THEN 2 WHEN level = 'dormant' THEN 3 ELSE 4 END"
)
SORTS = {
    "triage": f"{_RANK}, CASE WHEN level = 'dormant' THEN 0 ELSE {CHANCE} END DESC, "
    "CASE WHEN level = 'dormant' THEN COALESCE(last_session_at, '') END, name, group_id",
    "-score": "score DESC, name, group_id",
    "score": "score ASC, name, group_id",
    "name": "name, group_id",
}
"""``triage`` (the default): saveable first, as above; the others as they always were."""


@dataclass(frozen=True)
class GroupFilter:
    """What a reader asked for; every field narrows the list (all of them together)."""

    program: str | None = None
    coordinator: str | None = None
    levels: tuple[str, ...] = ()
    acknowledged: bool | None = None
    """True: groups with open alerts, every one acknowledged; False: groups with an open
    alert nobody has acknowledged yet. Groups without an open alert match neither."""
    q: str = ""
    """A case-insensitive substring of the group's name."""
    sections: tuple[str, ...] = ()
    """Only rows of these sections (the dashboard pages its sections separately)."""


def section(row: Mapping) -> str:
    """The section a group-health row is listed in."""
    if row.get("status") in ENDED:
        return "ended"
    return "gone_quiet" if row.get("level") == "dormant" else "triage"


def _in(column: str, values: Iterable[str]) -> tuple[str, list[str]]:
    ids = sorted(set(values))
    if not ids:
        return "1 = 0", []
    return f"{column} IN ({', '.join('?' * len(ids))})", ids


def _sections(wanted: tuple[str, ...]) -> str:
    parts = {
        "ended": ENDED_SQL,
        "gone_quiet": f"(level = 'dormant' AND NOT {ENDED_SQL})",
        "triage": f"(COALESCE(level, '') <> 'dormant' AND NOT {ENDED_SQL})",
    }
    return "(" + " OR ".join(parts[s] for s in wanted) + ")"


def where(
    f: GroupFilter, programs: Iterable[str] | None, coordinator: str | None,
    acknowledged: Mapping[str, bool],
) -> tuple[str, list[str]]:  # fmt: skip
    """``(" WHERE …", params)`` for filter ``f`` within the token's ``programs`` (None: all)
    and bound ``coordinator``; ``acknowledged`` maps group id -> every open alert acked."""
    clauses: list[str] = []
    params: list[str] = []

    def add(clause: str, values: Iterable[str] = ()) -> None:
        clauses.append(clause)
        params.extend(values)

    if f.program is not None:
        add("program_id = ?", [f.program])
    if programs is not None:
        add(*_in("program_id", programs))
    for who in {c for c in (coordinator, f.coordinator) if c is not None}:
        add("coordinator_id = ?", [who])
    if f.levels:
        add(*_in("level", f.levels))
    if f.acknowledged is not None:
        add(*_in("group_id", [g for g, acked in acknowledged.items() if acked == f.acknowledged]))
    if f.q:
        add("LOWER(name) LIKE ? ESCAPE '\\'", [f"%{escape_like(f.q.lower())}%"])
    if f.sections:
        add(_sections(f.sections))
    return (f" WHERE {' AND '.join(clauses)}" if clauses else ""), params


def escape_like(text: str) -> str:
    """``text`` with LIKE's wildcards taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def acknowledgement(alerts: Iterable[Mapping]) -> dict[str, bool]:
    """Group id -> True when every open alert of the group is acknowledged (for the groups
    among ``alerts``, which are open alerts as :func:`api.shape.alert` shapes them)."""
    out: dict[str, bool] = {}
    for a in alerts:
        acked = a["status"] == "acknowledged" or bool(a.get("acknowledged_by"))
        out[a["group_id"]] = out.get(a["group_id"], True) and acked
    return out


def alert_counts(alerts: Iterable[Mapping]) -> dict[str, int]:
    """Groups with an open alert nobody acknowledged (``waiting``) and groups whose open
    alerts are all acknowledged: the program page and the alerts page show these."""
    acks = acknowledgement(alerts)
    done = sum(acks.values())
    return {"waiting": len(acks) - done, "acknowledged": done}
