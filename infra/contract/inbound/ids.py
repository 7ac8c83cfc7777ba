"""peerpulse ids of the external ids one inbound message names.

Other systems use their own ids; peerpulse derives stable UUIDs from (source, external id)
with :func:`domain.ids.derive_id`, so re-sending is harmless. Sessions and commitments are
scoped by their group too. Used by ingest (to address aggregates) and by the API (to seal
personal data with the person's key before it is published).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.errors import InvalidCommand
from domain.ids import derive_id

PEERPULSE_IDS = "urn:peerpulse:ids"
"""A reserved ``source``: the message names programs, groups, coordinators and members by
their peerpulse ids (the UUIDs the API and the dashboard show) instead of a sender's own
ids. The dashboard, ``POST /v1/groups/{id}/interventions``, the action links in alert
messages and ``peerpulse groups intervene`` log interventions this way (decision 0009);
sessions and commitments cannot be named so (they are refused)."""


class Ids:
    """The peerpulse ids of the external ids one command names."""

    def __init__(self, source: str, data: Any) -> None:
        self.source, self.data = source, data

    def of(self, kind: str, external: str) -> UUID:
        """The id of an external id of ``kind`` from this command's source."""
        if self.source == PEERPULSE_IDS:
            return _peerpulse_id(kind, external)
        if kind in ("session", "commitment"):
            external = f"{self.data.group}/{external}"
        return derive_id(kind, self.source, external)

    @property
    def program(self) -> UUID:
        return self.of("program", self.data.program)

    @property
    def group(self) -> UUID:
        return self.of("group", self.data.group)

    def members(self, externals: list[str]) -> list[UUID]:
        return [self.of("member", m) for m in externals]


def _peerpulse_id(kind: str, given: str) -> UUID:
    try:
        if kind in ("session", "commitment"):
            raise ValueError
        return UUID(given)
    except ValueError:
        raise InvalidCommand(
            f"source {PEERPULSE_IDS} names things by peerpulse id: {kind} {given!r} is not one"
        ) from None
