"""peerpulse ids of the external ids one inbound message names.

Other systems use their own ids; peerpulse derives stable UUIDs from (source, external id)
with :func:`domain.ids.derive_id`, so re-sending is harmless. Sessions and commitments are
scoped by their group too. Used by ingest (to address aggregates) and by the API (to seal
personal data with the person's key before it is published).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.ids import derive_id


class Ids:
    """The peerpulse ids of the external ids one command names."""

    def __init__(self, source: str, data: Any) -> None:
        self.source, self.data = source, data

    def of(self, kind: str, external: str) -> UUID:
        """The id of an external id of ``kind`` from this command's source."""
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
