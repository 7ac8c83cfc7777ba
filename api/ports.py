"""What the API needs from the rest of the house, as ports it owns.

The API reads alerts, member profiles and tokens, and publishes attendance; it never
imports the alert router or the ingest consumer. The composition root (``peerpulse``)
passes adapters that fit these protocols (``consumers/alerts/reads.py`` for alerts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

if TYPE_CHECKING:
    from api.auth.store import TokenStore
    from api.ingest import Accepted
    from api.queries import Queries
    from api.status_reader import StatusReader
    from domain.vault import PersonalDataVault
    from infra.links import ActionLink, LinkSigner
    from infra.settings import Settings


IngestPositions = Callable[[str, list[int]], dict[int, int]]
"""``(topic, partitions) -> {partition: next offset}`` from ingest's own durable positions."""


class AlertView(Protocol):
    """One alert as the API shows it (:func:`api.shape.alert`)."""

    @property
    def alert_id(self) -> str: ...
    @property
    def alert_key(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def program_id(self) -> str: ...
    @property
    def group_id(self) -> str: ...
    @property
    def member_id(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def detail(self) -> dict[str, Any]: ...
    @property
    def acknowledged_by(self) -> str | None: ...
    @property
    def ack_comment(self) -> str | None: ...
    @property
    def raised_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def escalate_at(self) -> datetime | None: ...
    @property
    def resolved_at(self) -> datetime | None: ...
    @property
    def snoozed_until(self) -> datetime | None: ...


class AlertReads(Protocol):
    """The alert questions the API asks, and the changes people make through it:
    acknowledge and take back, snooze, close, and an action link's one use (the changes
    raise ``ValueError`` (a ``LifecycleError``) when the alert's state does not allow it,
    ``KeyError`` for an unknown alert)."""

    def list(
        self, status: str | None = None, program_ids: Iterable[str] | None = None,
        limit: int | None = 500,
    ) -> Sequence[AlertView]:  # fmt: skip
        """Alerts newest first; ``status="open"``: any unresolved; ``program_ids``: only
        those; ``limit=None``: every one (the API pages them itself)."""
        ...

    def open_alerts(self, program_ids: Iterable[str] | None = None) -> Sequence[AlertView]:
        """Every unresolved alert (no limit), oldest first; ``program_ids``: only those."""
        ...

    def get(self, alert_id: str) -> AlertView | None:
        """One alert, or None."""
        ...

    def acknowledge(self, alert_id: str, by: str, comment: str = "") -> AlertView:
        """Record that ``by`` took the alert on; returns it as it is now."""
        ...

    def unacknowledge(self, alert_id: str, by: str) -> AlertView:
        """Take an acknowledgement back (its comment is kept)."""
        ...

    def snooze(self, alert_id: str, until: datetime, by: str) -> AlertView:
        """Quiet the alert until ``until`` (or until it gets worse)."""
        ...

    @property
    def signer(self) -> LinkSigner:
        """Checks (and makes) the signed action links in alert messages."""
        ...

    def link_used(self, nonce: str) -> datetime | None:
        """When the action link with ``nonce`` was used, or None."""
        ...

    def act(self, link: ActionLink, note: str = "") -> AlertView | None:
        """Do what an action link says, once; ``None`` when it was used before."""
        ...


class MemberProfiles(Protocol):
    """Members' and coordinators' display details (names), read from the event store
    through the vault."""

    def member_profile(self, member_id: UUID) -> Any: ...
    def coordinator_contact(self, program_id: UUID, coordinator_id: UUID) -> Any:
        """A program's coordinator (``.name``); raises when not one of the program's."""
        ...


class Publisher(Protocol):
    """Produces accepted attendance messages to the attendance topic."""

    async def publish(self, accepted: list[Accepted], headers: list[tuple[str, bytes]]) -> list:
        """Produce every message and await its ack (raises an ApiError when refused)."""
        ...

    def close(self) -> None:
        """Flush and close whatever was opened (a no-op when nothing was)."""
        ...


class ApiParts(Protocol):
    """The parts one API process is served from (built by ``peerpulse.build``)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def api_queries(self) -> Queries: ...
    @property
    def token_store(self) -> TokenStore: ...
    @property
    def attendance_publisher(self) -> Publisher: ...
    @property
    def vault(self) -> PersonalDataVault: ...
    @property
    def status_reader(self) -> StatusReader: ...
