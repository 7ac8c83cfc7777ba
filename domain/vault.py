"""The port for personal data: names and contacts are sealed per person (crypto-shredding)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable
from uuid import UUID


@runtime_checkable
class PersonalDataVault(Protocol):
    """Keeps one secret key per person; destroying it makes their sealed data unreadable."""

    def seal(self, member_id: UUID, plaintext: str) -> str:
        """Encrypt ``plaintext`` with the person's key (created on first use).

        Raises :class:`domain.errors.MemberForgotten` once the key was destroyed: a
        forgotten person never gets a new key.
        """
        ...

    def unseal(self, member_id: UUID, token: str) -> str | None:
        """Decrypt a token, or ``None`` once the person's key was destroyed."""
        ...

    def destroy(self, member_id: UUID) -> None:
        """Delete the person's key for good; repeating it is harmless."""
        ...
