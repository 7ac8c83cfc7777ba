"""What the pipeline's roles are doing now, as ``peerpulse status`` and ``GET /v1/status`` show it.

Per role (ingest, relay, projection worker, alert router): which process holds the role's
singleton lock (:mod:`infra.lock_holder`) and, for the relay, the processes standing by to
take it over (decision 0022), the partitions it owns — "all N" for one process, shared
when several divide the topic (ingest and the projection workers, whose rows name each
partition's owner, decisions 0024 and 0025; the alert routers) — and its lag per
partition, in records and in seconds (the age of the oldest record it has not applied yet,
by its Kafka timestamp; 0 when caught up). The relay has no input topic: its lag is the
newest stored notification id against the newest one it published, and its age that of the
oldest unpublished event by the event's own timestamp (the store keeps no arrival time, so
replayed history reads as old as it is). Read by :class:`api.status_reader.StatusReader`;
this module holds only the facts and their JSON shape, so the CLI, the API, the lag metric
and the demo's catch-up wait all look at the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from infra.lock_holder import Holder


@dataclass(frozen=True)
class PartitionLag:
    """One partition of a role's input topic: where it ends and how far the role got."""

    partition: int
    end: int  # offset the next record will get
    position: int  # next offset the role will apply
    lag_seconds: float | None = None  # None when not measured
    owner: Holder | None = None  # the process that owns it, where known (0024, 0025)

    @property
    def lag_events(self) -> int:
        """Records on the partition the role has not applied yet."""
        return max(0, self.end - self.position)


@dataclass(frozen=True)
class RelayPosition:
    """The relay's progress: newest stored notification id against the newest published
    (on the events topic, or quarantined to its dead-letter topic)."""

    stored: int
    relayed: int
    per_partition: dict[int, int] = field(default_factory=dict)  # watermark per partition
    lag_seconds: float | None = None

    @property
    def lag_events(self) -> int:
        """Stored events not published yet."""
        return max(0, self.stored - self.relayed)


@dataclass(frozen=True)
class RoleStatus:
    """One role: its lock's holder, its topic's partitions, its lag — or why not read."""

    role: str  # ingest, relay, worker, alerts
    title: str  # for people: "projection worker"
    lock: str  # the singleton lock's name (infra/singleton.py)
    topic: str  # input topic (the relay: the topic it publishes to)
    holder: Holder | None = None  # None: nobody holds the lock (or not asked)
    partition_count: int = 0
    partitions: tuple[PartitionLag, ...] = ()
    relay: RelayPosition | None = None
    error: str | None = None  # set when the role could not be read
    standbys: tuple[Holder, ...] = ()  # processes waiting to take over (the relay's)
    processes: tuple[Holder, ...] = ()  # processes sharing the role (PostgreSQL's routers)

    @property
    def running(self) -> bool:
        """True when some process holds the role's lock."""
        return self.holder is not None

    @property
    def owns(self) -> str:
        """The partitions the holder owns: all of them, as one process per role runs —
        or, when several share the role, split among them by their consumer group."""
        if not self.running:
            return "none"
        owners = {p.owner for p in self.partitions if p.owner is not None}
        sharing = max(len(self.processes), len(owners))  # SQLite lists no sharers: owners
        if sharing > 1:
            return f"{self.partition_count} shared by {sharing}"
        return f"all {self.partition_count}"

    @property
    def lag_events(self) -> int:
        """Records (the relay: stored events) waiting for this role, all partitions."""
        if self.relay is not None:
            return self.relay.lag_events
        return sum(p.lag_events for p in self.partitions)

    @property
    def lag_seconds(self) -> float | None:
        """Age of the oldest record waiting, over all partitions; None when not measured."""
        if self.relay is not None:
            return self.relay.lag_seconds
        ages = [p.lag_seconds for p in self.partitions if p.lag_seconds is not None]
        return max(ages) if ages else None

    def to_dict(self) -> dict[str, Any]:
        """The role as JSON."""
        holder = None if self.holder is None else {"pid": self.holder.pid, "host": self.holder.host}
        relay = self.relay
        return {
            "role": self.role, "title": self.title, "lock": self.lock, "topic": self.topic,
            "running": self.running, "holder": holder, "owns": self.owns,
            "standbys": [{"pid": h.pid, "host": h.host} for h in self.standbys],
            "processes": [{"pid": h.pid, "host": h.host} for h in self.processes],
            "partition_count": self.partition_count,
            "lag_events": self.lag_events, "lag_seconds": self.lag_seconds,
            "partitions": [
                {"partition": p.partition, "end": p.end, "position": p.position,
                 "lag_events": p.lag_events, "lag_seconds": p.lag_seconds,
                 "owner": None if p.owner is None else {"pid": p.owner.pid,
                                                        "host": p.owner.host}}
                for p in self.partitions
            ],
            "relay": None if relay is None else {
                "stored": relay.stored, "relayed": relay.relayed,
                "per_partition": {str(k): v for k, v in sorted(relay.per_partition.items())},
            },
            "error": self.error,
        }  # fmt: skip


@dataclass(frozen=True)
class Status:
    """Every role's status at ``measured_at``."""

    measured_at: datetime
    roles: tuple[RoleStatus, ...]

    def role(self, name: str) -> RoleStatus:
        """The status of role ``name`` (KeyError when it was not read)."""
        for found in self.roles:
            if found.role == name:
                return found
        raise KeyError(name)

    @property
    def complete(self) -> bool:
        """True when every role could be read."""
        return all(r.error is None for r in self.roles)

    @property
    def caught_up(self) -> bool:
        """True when every role was read and nothing waits for any of them."""
        return self.complete and all(r.lag_events == 0 for r in self.roles)

    def to_dict(self) -> dict[str, Any]:
        """The whole status as JSON (``GET /v1/status``, ``peerpulse status --json``)."""
        return {
            "measured_at": self.measured_at.isoformat(),
            "complete": self.complete,
            "caught_up": self.caught_up,
            "roles": [r.to_dict() for r in self.roles],
        }
