"""The Member aggregate: the person behind a member id, with sealed personal data."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.records import ReplacedRecords


class Member(ReplacedRecords, Aggregate):
    """A person. Only a pseudonym is in clear; name and contact are sealed with their key."""

    @classmethod
    def register(
        cls, member_id: UUID, pseudonym: str, sealed_name: str, sealed_contact: str, now: datetime
    ) -> Member:
        """Register a person with already-sealed personal data."""
        return cls._create(
            cls.Registered,
            id=member_id,
            timestamp=now,
            pseudonym=pseudonym,
            sealed_name=sealed_name,
            sealed_contact=sealed_contact,
        )

    def forget(self, now: datetime) -> None:
        """Record that the person's key was destroyed; forgetting twice changes nothing."""
        if not self.forgotten:
            self.trigger_event(self.Forgotten, timestamp=now)

    class Registered(Aggregate.Created):
        """The roster system registered a person; name and contact are sealed tokens."""

        pseudonym: str
        sealed_name: str
        sealed_contact: str

        def apply(self, member: Member) -> None:
            member.pseudonym = self.pseudonym
            member.sealed_name, member.sealed_contact = self.sealed_name, self.sealed_contact
            member.forgotten = False

    class Forgotten(Aggregate.Event):
        """The person asked to be forgotten; their key is gone, sealed data is unreadable."""

        def apply(self, member: Member) -> None:
            member.forgotten = True
