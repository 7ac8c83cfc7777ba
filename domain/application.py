"""EngagementApp: the use cases other parts of peerpulse call (see docs/design/engagement-app.md).

An eventsourcing ``Application`` over Program, Group, Member and Clock aggregates.
Persistence comes from the ``env`` the composition root passes in (never from
``os.environ``); personal data is sealed through a :class:`PersonalDataVault`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.utils import Environment, EnvType

from domain.aggregate_cache import TrustedCache
from domain.clock import MAX_TICKS, Clock
from domain.errors import ConcurrentModification, UnknownGroup, UnknownMember, UnknownProgram
from domain.es_adapter import SnapshotsFromMemory
from domain.group import Group
from domain.group_use_cases import GroupUseCases
from domain.ids import CLOCK_ID
from domain.intake import IntakeUseCases
from domain.member import Member
from domain.moments import aware
from domain.people_use_cases import PeopleUseCases
from domain.program import Program
from domain.program_use_cases import ProgramUseCases
from domain.unit_of_work import UnitOfWork
from domain.vault import PersonalDataVault

DEFAULT_SNAPSHOT_INTERVAL = 50
TRUSTED_CACHE_SIZE = 5000
TRUSTED_SNAPSHOT_INTERVAL = 200
SNAPSHOT_INTERVAL_KEY = "GROUP_SNAPSHOT_INTERVAL"


class EngagementApp(
    IntakeUseCases, GroupUseCases, ProgramUseCases, PeopleUseCases, SnapshotsFromMemory
):
    """The engagement engine's application service."""

    env: dict[str, str] = {"AGGREGATE_CACHE_MAXSIZE": "2000"}
    snapshotting_intervals = {Group: DEFAULT_SNAPSHOT_INTERVAL}

    def __init__(
        self,
        env: EnvType | None = None,
        vault: PersonalDataVault | None = None,
        snapshot_interval: int | None = None,
    ) -> None:
        """Build on ``env`` (eventsourcing settings); ``vault`` seals personal data."""
        super().__init__(env)
        interval = snapshot_interval or int(
            self.env.get(SNAPSHOT_INTERVAL_KEY) or DEFAULT_SNAPSHOT_INTERVAL
        )
        self.snapshotting_intervals = {Group: interval}
        self.vault = vault
        self._current: ContextVar[UnitOfWork | None] = ContextVar(f"uow{id(self)}", default=None)
        self.trusted: TrustedCache | None = None

    def trust_cache(self, maxsize: int = TRUSTED_CACHE_SIZE,
                    snapshot_interval: int = TRUSTED_SNAPSHOT_INTERVAL) -> None:  # fmt: skip
        """Serve programs, groups and the clock from memory, never re-reading the store.

        Only for the one writer of those aggregates (the ingest consumer of the
        partitions it owns); see :mod:`domain.aggregate_cache`. Conflicts clear it.
        Such a writer rarely loads a group from the store, so it snapshots groups less
        often (at least every ``snapshot_interval`` events; decision 0001).
        """
        self.trusted = TrustedCache(maxsize, (Program, Group, Clock))
        interval = max(self.snapshotting_intervals[Group], snapshot_interval)
        self.snapshotting_intervals = {Group: interval}

    def forget_cached(self) -> None:
        """Drop every trusted aggregate (e.g. after a rebalance)."""
        if self.trusted is not None:
            self.trusted.clear()

    def forget_shared_cached(self) -> None:
        """Drop the trusted programs and the clock: with several ingest processes each owns
        only its partitions' groups, while any of them may change a program or tick."""
        if self.trusted is not None:
            self.trusted.forget((Program, Clock))

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        """The given settings only: the domain never reads ``os.environ``."""
        settings = {**type(self).env, "IS_SNAPSHOTTING_ENABLED": "y", **(env or {})}
        return Environment(name, settings)

    def construct_recorder(self) -> Any:
        """A process recorder, so tracking records are written with the events."""
        return self.factory.process_recorder()

    @contextmanager
    def batch(self, tracking: Tracking | None = None) -> Iterator[UnitOfWork]:
        """Run many commands and record all their events (and ``tracking``) in one transaction.

        Commands inside act on the batch's cached aggregates. A :class:`DomainError`
        from one command leaves them untouched, so a caller may catch it inside the
        block and go on; any exception escaping the block records nothing.
        """
        if self._current.get() is not None:
            raise RuntimeError("app.batch() blocks do not nest")
        uow = UnitOfWork(self, tracking)
        token = self._current.set(uow)
        try:
            yield uow
            uow.commit()
        finally:
            self._current.reset(token)

    @contextmanager
    def unit(self) -> Iterator[UnitOfWork]:
        """The current batch, or a unit of work for one command committed at the end."""
        current = self._current.get()
        if current is not None:
            yield current
            return
        uow = UnitOfWork(self)
        yield uow
        uow.commit()

    def max_tracking_position(self, name: str) -> int | None:
        """The last position a consumer called ``name`` recorded, or ``None``."""
        return self.recorder.max_tracking_id(name)

    def record_position(self, name: str, position: int) -> None:
        """Record a tracking position on its own (no events); it must move forward.

        Consumers keep bookkeeping this way (e.g. a topic's incarnation). A position that
        is not newer raises :class:`ConcurrentModification`.
        """
        try:
            self.recorder.insert_tracking(Tracking(name, position))
        except IntegrityError as exc:
            raise ConcurrentModification(f"{name} is already at or beyond {position}") from exc

    def tick(self, now: datetime) -> bool:
        """Record ``Clock.Ticked`` if ``now`` crossed the next tick boundary; True if recorded.

        One tick at the newest boundary, however many were crossed (wall-clock ticking).
        """
        return self.tick_through(now, limit=1) == 1

    def tick_through(self, now: datetime, limit: int = MAX_TICKS) -> int:
        """Record a tick for every boundary crossed since the last one (at most ``limit``).

        Event-time ticking (ingest's watermark, CSV import): each 6-hour boundary the
        data has passed gets its own ``Clock.Ticked``, in order. Returns how many.
        """
        with self.unit() as uow:
            clock = uow.find(CLOCK_ID, Clock)
            if clock is None:
                clock = Clock.start(aware(now))
                uow.add(clock)
            return clock.tick_through(aware(now), limit)

    def get_group(self, group_id: UUID) -> Group:
        """The group's current state."""
        return self._load(group_id, Group, UnknownGroup)

    def get_program(self, program_id: UUID) -> Program:
        """The program's current state."""
        return self._load(program_id, Program, UnknownProgram)

    def get_member(self, member_id: UUID) -> Member:
        """The member's current state (personal data still sealed)."""
        return self._load(member_id, Member, UnknownMember)

    def _load(self, aggregate_id: UUID, kind: type[Any], missing: Any) -> Any:
        return UnitOfWork(self).get(aggregate_id, kind, missing)
