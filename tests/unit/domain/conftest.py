"""Domain test kit: an in-memory EngagementApp (POPO), a fake vault, a given/when helper."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.application import EngagementApp
from infra.vault import MemoryVault as FakeVault

T0 = datetime(2025, 3, 3, 18, 0, tzinfo=UTC)


def day(n: float) -> datetime:
    """``n`` days after the first session."""
    return T0 + timedelta(days=n)


def facts(events: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    """Events as (class name, payload) pairs, without the bookkeeping attributes."""
    skip = {"originator_id", "originator_version", "timestamp", "originator_topic"}
    return [(type(e).__name__, {k: v for k, v in vars(e).items() if k not in skip}) for e in events]


class World:
    """One program with one group, and helpers to say what happened and what got recorded."""

    def __init__(self, app: EngagementApp) -> None:
        self.app = app
        self.program_id, self.group_id = uuid4(), uuid4()
        self.members: list[UUID] = []

    def given_group(self, members: int = 3, lapse_after: int = 3) -> World:
        """A launched program with a formed group of ``members`` peers."""
        self.app.launch_program(
            self.program_id,
            "Founders",
            "Acme",
            "weekly",
            T0 - timedelta(30),
            lapse_after=lapse_after,
        )
        self.app.form_group(
            self.group_id, self.program_id, "Circle", "weekly", "ship", T0 - timedelta(29)
        )
        self.members = [uuid4() for _ in range(members)]
        for member in self.members:
            self.app.join_member(self.group_id, member, "peer", T0 - timedelta(28))
        return self

    def when(
        self, command: Callable[..., Any], *args: Any, on: UUID | None = None, **kwargs: Any
    ) -> list[tuple[str, dict[str, Any]]]:
        """Run one command; the facts it recorded on the group (or on ``on``)."""
        aggregate_id = on or self.group_id
        before = max((e.originator_version for e in self.app.events.get(aggregate_id)), default=0)
        command(*args, **kwargs)
        return facts(list(self.app.events.get(aggregate_id, gt=before)))

    def hold(
        self,
        session: UUID | None = None,
        at: float = 0,
        present=(),
        absent=(),
        excused=(),
        attendance_taken: bool = True,
    ) -> list[tuple[str, dict[str, Any]]]:
        """Hold a session (a new one unless given) ``at`` days after T0."""
        return self.when(
            self.app.hold_session,
            self.group_id,
            session or uuid4(),
            day(at),
            present=present,
            absent=absent,
            excused=excused,
            attendance_taken=attendance_taken,
        )

    def names(self, recorded: list[tuple[str, dict[str, Any]]]) -> list[str]:
        """Just the event names."""
        return [name for name, _ in recorded]


@pytest.fixture
def vault() -> FakeVault:
    return FakeVault()


@pytest.fixture
def app(vault: FakeVault) -> EngagementApp:
    """An EngagementApp on in-memory (POPO) persistence."""
    return EngagementApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, vault=vault)


@pytest.fixture
def world(app: EngagementApp) -> World:
    return World(app)
