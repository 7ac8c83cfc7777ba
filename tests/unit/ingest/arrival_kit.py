"""Order-robustness kit: one small program's ingest messages and the in-process pipeline.

:func:`program_messages` is a realistic fortnightly group (program, coordinator, roster,
sessions scheduled and held with roll calls, a late one-by-one mark, commitments made and
settled, a cancellation, a member leaving just after a session that marked them, with their
replacement joining before it, and the mentor leaving just after their late mark) as wire
messages with their event times. :func:`project` runs messages, in the order given, through
the real path: decoder -> mapper -> the domain's intake use cases -> EngagementApp (POPO)
ticking with the newest event time -> the relay's translator ->
:class:`~projections.engine.Projector`, as ``benchmarks/_detection_replay.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid5

from consumers.ingest.mapper import apply
from domain.application import EngagementApp
from domain.errors import DomainError
from domain.ids import NAMESPACE, derive_id
from infra.contract.inbound.decoder import Command, decode
from infra.contract.translate import is_published, to_wire
from infra.vault import MemoryVault
from projections.engine import Outputs, Projector
from projections.fold import envelope as wire
from projections.readmodel.tables import LEVEL_HISTORY

SOURCE = "calendar.example"
T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
RECEIVED = datetime(2026, 1, 1, tzinfo=UTC)
GROUP_ID = str(derive_id("group", SOURCE, "g1"))


@dataclass(frozen=True)
class Message:
    """One ingest message and when it happened (days after T0)."""

    at: float
    kind: str
    data: dict[str, Any]

    def raw(self) -> bytes:
        scoped = {} if self.kind.startswith(("program.", "coordinator.")) else {"group": "g1"}
        body = {
            "specversion": "1.0", "source": SOURCE, "type": f"peerpulse.ingest.{self.kind}.v1",
            "id": str(uuid5(NAMESPACE, f"{self.kind}:{json.dumps(self.data, sort_keys=True)}")),
            "time": (T0 + timedelta(days=self.at)).isoformat(),
            "data": {"program": "prog", **scoped, **self.data},
        }  # fmt: skip
        return json.dumps(body).encode()


def program_messages() -> list[Message]:
    """The program in event-time order (the canonical order)."""
    m = [
        Message(0, "program.launched", {"name": "Founders", "organisation": "Acme",
                                        "cadence": "weekly"}),
        Message(0.01, "coordinator.assigned", {"coordinator": "cora", "name": "Cora",
                                               "contact": "cora@example.org"}),
        Message(0.02, "group.formed", {"name": "Thursday circle", "cadence": "fortnightly",
                                       "goal": "ship", "coordinator": "cora"}),
        Message(0.03, "member.joined", {"member": "ada", "role": "facilitator"}),
        Message(0.04, "member.joined", {"member": "bob"}),
        Message(0.05, "member.joined", {"member": "cy"}),
        Message(0.055, "member.joined", {"member": "fay"}),
        Message(0.06, "member.joined", {"member": "dee", "role": "mentor"}),
        Message(44, "member.joined", {"member": "eve"}),  # cy's successor, from s4 on
    ]  # fmt: skip
    for k, day in enumerate((3, 17, 31, 45), start=1):
        s = f"s{k}"
        m.append(Message(day - 2, "session.scheduled", {"session": s, "scheduled_for": (
            T0 + timedelta(days=day)).isoformat()}))  # fmt: skip
        if k == 3:
            m.append(Message(day - 1, "session.cancelled", {"session": s, "reason": "holiday"}))
            continue
        absent = ["cy"] if k == 2 else []
        peers = ("ada", "bob", "cy", "fay", "eve") if k == 4 else ("ada", "bob", "cy", "fay")
        present = [p for p in peers if p not in absent]
        m.append(Message(day, "session.held", {"session": s, "present": present,
                                               "absent": absent}))  # fmt: skip
    m += [
        Message(17.01, "commitment.made", {"commitment": "c1", "member": "ada", "session": "s2",
                                           "due": (T0 + timedelta(days=31)).isoformat()}),
        Message(17.02, "commitment.made", {"commitment": "c2", "member": "bob", "session": "s2"}),
        Message(19, "commitment.kept", {"commitment": "c1", "member": "ada"}),
        Message(20, "commitment.missed", {"commitment": "c2", "member": "bob"}),
        Message(45.1, "attendance.marked", {"session": "s4", "member": "dee",
                                            "status": "present"}),
        Message(45.15, "member.left", {"member": "dee"}),  # just after their late mark
        Message(45.2, "commitment.made", {"commitment": "c3", "member": "bob", "session": "s4"}),
        Message(45.5, "member.left", {"member": "cy"}),  # after s4, which marked cy present
        Message(47, "commitment.kept", {"commitment": "c3", "member": "bob"}),
    ]  # fmt: skip
    return sorted(m, key=lambda x: x.at)


@dataclass
class Projected:
    """What the projections made of one delivery order."""

    projector: Projector
    levels: list[tuple[datetime, str]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def project(messages: list[Message], horizon: datetime) -> Projected:
    """Ingest ``messages`` in the order given, one batch each, then tick on to ``horizon``."""
    app = EngagementApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, vault=MemoryVault())
    result, out = Projected(Projector()), Outputs()
    programs: dict[Any, Any] = {}
    position, seen = 0, None
    for message in messages:
        command = decode(message.raw(), None, RECEIVED)
        assert isinstance(command, Command), command
        try:
            with app.batch():
                apply(app, command)
        except DomainError as exc:  # the consumer dead-letters it
            result.rejected.append(f"{message.kind}@{message.at}: {exc.code} {exc}")
        seen = max(seen or command.occurred_at, command.occurred_at)
        app.tick_through(seen)
        position = _publish(app, position, programs, result.projector, out)
    app.tick_through(horizon)
    _publish(app, position, programs, result.projector, out)
    result.levels = [(wire.parse_time(r.values["at"]), r.values["level"]) for r in out.rows
                     if r.table == LEVEL_HISTORY.name and r.key[0] == GROUP_ID]  # fmt: skip
    return result


def _publish(app: EngagementApp, position: int, programs: dict[Any, Any],
             projector: Projector, out: Outputs) -> int:  # fmt: skip
    """Relay every new notification to the projector; returns the new position."""
    while batch := app.recorder.select_notifications(position + 1, 1000):
        for n in batch:
            event = app.mapper.to_domain_event(n)
            if not is_published(event):
                continue
            if type(event).__qualname__ == "Group.Formed":
                programs[event.originator_id] = event.program_id
            record = to_wire(event, n.id, program_of=programs.__getitem__)
            projector.process(wire.decode(record.value, record.headers), out)
        position = batch[-1].id
    return position
