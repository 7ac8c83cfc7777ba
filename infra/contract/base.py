"""Building blocks shared by every wire model: the strict base class and the field types.

Free text is normalised and ids checked by the rule of :mod:`infra.contract.text`, so
text that slipped past ingest (or was stored before the rule) is published safe.
A data model declares which wire ``type`` it is and which domain event it carries
(``Aggregate.Event`` qualname); :mod:`infra.contract.registry` indexes them by both.
"""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

from infra.contract.text import identifier, safe_text

Cadence = Literal["weekly", "fortnightly", "monthly"]
Role = Literal["peer", "facilitator", "mentor"]
AttendanceStatus = Literal["present", "absent", "excused"]
Channel = Literal["email", "webhook", "slack"]
Digest = Literal["immediate", "daily"]
Reason = safe_text(2000)
Name = safe_text(200, min_length=1)
Text = safe_text()
Pseudonym = safe_text(200, min_length=1)
TimeZone = identifier(64)
Utc = AwareDatetime


class WireData(BaseModel):
    """The ``data`` of one public event type: strict, closed, immutable."""

    model_config = ConfigDict(
        strict=True, extra="forbid", frozen=True, json_schema_serialization_defaults_required=True
    )

    TYPE: ClassVar[str]
    """The CloudEvents ``type`` (carries the version)."""
    DOMAIN: ClassVar[str]
    """Qualified name of the domain event class this model publishes."""


class GroupData(WireData):
    """Every group event also names the program the group belongs to."""

    program_id: UUID


__all__ = [
    "AttendanceStatus",
    "Cadence",
    "Channel",
    "Digest",
    "GroupData",
    "Name",
    "Pseudonym",
    "Reason",
    "Role",
    "Text",
    "TimeZone",
    "Utc",
    "WireData",
]
