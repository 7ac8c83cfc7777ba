"""Group commitments: made (and amended), then kept, missed or dropped, with their events."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import CommitmentConflict, UnknownCommitment
from domain.group.guards import GroupGuards

if TYPE_CHECKING:
    from domain.group import Group


class Commitments(GroupGuards):
    """Commitment commands and events; mixed into :class:`domain.group.Group`."""

    commitments: dict[str, dict[str, Any]]

    def make_commitment(
        self,
        commitment_id: UUID,
        member_id: UUID,
        now: datetime,
        session_id: UUID | None = None,
        due: datetime | None = None,
    ) -> None:
        """A member commits to something, optionally in a session and with a due date.

        The same id again with the same details changes nothing; details the recorded
        commitment lacked (ingest made it implicitly when its settlement came first,
        decision 0015) amend it (``CommitmentAmended``); anything else is refused.
        """
        existing = self.commitments.get(str(commitment_id))
        if existing is not None:
            self._amend_commitment(existing, commitment_id, member_id, now, session_id, due)
            return
        self.require_open(f"record commitment {commitment_id}")
        self.require_member(member_id, session_id, at=now)
        self.trigger_event(
            self.CommitmentMade,
            timestamp=now,
            commitment_id=commitment_id,
            member_id=member_id,
            session_id=session_id,
            due=due,
        )

    def _amend_commitment(
        self,
        existing: dict[str, Any],
        commitment_id: UUID,
        member_id: UUID,
        now: datetime,
        session_id: UUID | None,
        due: datetime | None,
    ) -> None:
        if existing["member_id"] != member_id:
            raise CommitmentConflict(
                f"commitment {commitment_id} of group {self.id} was made by member "
                f"{existing['member_id']}, not {member_id}"
            )
        details = {"session_id": session_id, "due": due}
        if all(existing[k] == v for k, v in details.items()):
            return
        for key, value in details.items():
            if existing[key] is not None and existing[key] != value:
                raise CommitmentConflict(
                    f"commitment {commitment_id} of group {self.id} already has {key} "
                    f"{existing[key]}, not {value}"
                )
        self.require_open(f"amend commitment {commitment_id}")
        self.require_member(member_id, session_id)
        self.trigger_event(
            self.CommitmentAmended,
            timestamp=now,
            commitment_id=commitment_id,
            member_id=member_id,
            **details,
        )

    def knows_commitment(self, commitment_id: UUID) -> bool:
        """Whether the commitment was recorded (made, or made bare when settled first)."""
        return str(commitment_id) in self.commitments

    def resolve_commitment(self, commitment_id: UUID, outcome: str) -> None:
        """Replace the commitment's record with its outcome (records are never changed in place)."""
        key = str(commitment_id)
        self.commitments[key] = {**self.commitments[key], "status": outcome}

    def amend_commitment_record(
        self, commitment_id: UUID, session_id: UUID | None, due: datetime | None
    ) -> None:
        """Replace the commitment's record with its full details, keeping its status."""
        key = str(commitment_id)
        self.commitments[key] = {**self.commitments[key], "session_id": session_id, "due": due}

    def keep_commitment(self, commitment_id: UUID, now: datetime) -> None:
        """The member did what they said."""
        self._resolve(commitment_id, now, "kept", self.CommitmentKept)

    def miss_commitment(self, commitment_id: UUID, now: datetime) -> None:
        """The commitment fell due unkept."""
        self._resolve(commitment_id, now, "missed", self.CommitmentMissed)

    def drop_commitment(self, commitment_id: UUID, now: datetime) -> None:
        """The member withdrew the commitment."""
        self._resolve(commitment_id, now, "dropped", self.CommitmentDropped)

    def _resolve(self, commitment_id: UUID, now: datetime, outcome: str, event: Any) -> None:
        commitment = self.commitments.get(str(commitment_id))
        if commitment is None:
            raise UnknownCommitment(f"commitment {commitment_id} of group {self.id} is unknown")
        if commitment["status"] == outcome:
            return
        if commitment["status"] != "made":
            raise CommitmentConflict(
                f"commitment {commitment_id} of member {commitment['member_id']} in group "
                f"{self.id} was already {commitment['status']}"
            )
        self.require_open(f"resolve commitment {commitment_id}")
        self.trigger_event(
            event, timestamp=now, commitment_id=commitment_id, member_id=commitment["member_id"]
        )

    class CommitmentMade(Aggregate.Event):
        """A member committed to something, optionally in a session and with a due date."""

        commitment_id: UUID
        member_id: UUID
        session_id: UUID | None
        due: datetime | None

        def apply(self, group: Group) -> None:
            group.commitments[str(self.commitment_id)] = {
                "member_id": self.member_id,
                "session_id": self.session_id,
                "due": self.due,
                "status": "made",
            }

    class CommitmentAmended(Aggregate.Event):
        """Details a recorded commitment lacked arrived (ingest: settled before made, 0015)."""

        commitment_id: UUID
        member_id: UUID
        session_id: UUID | None
        due: datetime | None

        def apply(self, group: Group) -> None:
            group.amend_commitment_record(self.commitment_id, self.session_id, self.due)

    class CommitmentKept(Aggregate.Event):
        """The member did what they committed to."""

        commitment_id: UUID
        member_id: UUID

        def apply(self, group: Group) -> None:
            group.resolve_commitment(self.commitment_id, "kept")

    class CommitmentMissed(Aggregate.Event):
        """The commitment fell due and was not kept."""

        commitment_id: UUID
        member_id: UUID

        def apply(self, group: Group) -> None:
            group.resolve_commitment(self.commitment_id, "missed")

    class CommitmentDropped(Aggregate.Event):
        """The member withdrew the commitment."""

        commitment_id: UUID
        member_id: UUID

        def apply(self, group: Group) -> None:
            group.resolve_commitment(self.commitment_id, "dropped")
