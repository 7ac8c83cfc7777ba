"""Per-group digests of simulated messages, for shape assertions."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from infra.simulator import Simulation

END = datetime(2025, 6, 1, tzinfo=UTC)


@dataclass
class GroupView:
    """One group's messages, digested for shape assertions."""

    held: dict[str, datetime] = field(default_factory=dict)
    present: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    commitments: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    paused: list[datetime] = field(default_factory=list)
    cancelled: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    """Session -> (when the cancellation was sent, its reason)."""

    def sessions(self) -> list[str]:
        """Held session ids in time order."""
        return sorted(self.held, key=self.held.__getitem__)


def views(sim: Simulation) -> dict[str, GroupView]:
    """Group external id -> its view."""
    out: dict[str, GroupView] = defaultdict(GroupView)
    for m in sim.messages:
        d, kind = m["data"], m["type"].removeprefix("peerpulse.ingest.").removesuffix(".v1")
        v = out[d.get("group", "")]
        if kind == "session.held":
            v.held[d["session"]] = datetime.fromisoformat(m["time"])
            v.present[d["session"]].update(d.get("present", []))
        elif kind == "attendance.marked" and d["status"] == "present":
            v.present[d["session"]].add(d["member"])
        elif kind == "commitment.made":
            v.commitments[d["session"]] += 1
        elif kind == "session.cancelled":
            v.cancelled[d["session"]] = (datetime.fromisoformat(m["time"]), d.get("reason", ""))
        elif kind == "group.paused":
            v.paused.append(datetime.fromisoformat(m["time"]))
    return out


def of_fate(programs, fate: str) -> list:
    """Every (truth, view) pair of groups with ``fate`` across ``programs``."""
    return [(t, v[t.group]) for s, v in programs for t in s.truth if t.fate == fate]
