"""The ``data`` of every inbound attendance message: what the sending system tells us.

Ids are the sender's own (external) ids; peerpulse derives its UUIDs from
``(source, external id)``. Every group-scoped payload names its ``program`` and ``group``
so a message that arrives before the roster can still be placed (docs/decisions/0015).
Personal data (display name, contact) only ever arrives here and is sealed on arrival;
over HTTP it arrives already sealed by the door (``pp-sealed:v1.…``, :data:`Personal`).
Free text is normalised and ids are checked by the one rule of :mod:`infra.contract.text`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from infra.contract.text import identifier, normalise_text, safe_text


def _utc_representable(value: datetime) -> datetime:
    """Refuse a time whose UTC equivalent falls outside year 1..9999 (e.g. year 1 at +14:00)."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is outside the range of dates once converted to UTC") from None
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_utc_representable)]
"""A time with an offset that can be converted to UTC (as peerpulse stores every time)."""
ExternalId = identifier(200)
Text = safe_text(500)
Name = safe_text(200, min_length=1, blank=False)
Pseudonym = safe_text(80, min_length=1, blank=False)
TimeZone = identifier(64)
Cadence = Literal["weekly", "fortnightly", "monthly"]
Role = Literal["peer", "facilitator", "mentor"]
Status = Literal["present", "absent", "excused"]
InterventionKind = Literal["call", "message", "meeting", "merged", "ended"]
RollCall = Annotated[list[ExternalId], Field(max_length=200)]
SEALED_BY_DOOR = r"^pp-sealed:v1\.[A-Za-z0-9_-]+=*$"
"""A personal value the HTTP door sealed (infra.vault.seal_for_transit): opened, not re-sealed."""


def _personal(value: str) -> str:
    """A door-sealed token as it is; clear text as :data:`Text` (at most 500, normalised)."""
    if value.startswith("pp-sealed:"):
        if re.fullmatch(SEALED_BY_DOOR, value) is None:
            raise PydanticCustomError("sealed_value", "a pp-sealed: value is the door's own")
        return value
    if len(value) > 500:
        too_long = "String should have at most {max_length} characters"
        raise PydanticCustomError("string_too_long", too_long, {"max_length": 500})
    return normalise_text(value)


Personal = Annotated[
    str,
    StringConstraints(max_length=4096),
    AfterValidator(_personal),
    WithJsonSchema({"anyOf": [{"type": "string", "maxLength": 500},
                              {"type": "string", "maxLength": 4096, "pattern": SEALED_BY_DOOR}]}),
]  # fmt: skip
"""Personal data: clear text from a sender, or a value the HTTP door sealed."""


class Payload(BaseModel):
    """Strict, closed: unknown fields and loose types are rejected, never guessed."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class ProgramPayload(Payload):
    """Names the program the message is about."""

    program: ExternalId = Field(description="The sender's id of the program.")


class GroupPayload(ProgramPayload):
    """Names the group (and its program) the message is about."""

    group: ExternalId = Field(description="The sender's id of the group.")


class ProgramLaunched(ProgramPayload):
    """A program started running groups."""

    name: Name
    organisation: Name
    cadence: Cadence = Field(description="How often its groups are expected to meet.")
    lapse_after: int = Field(3, ge=1, le=52, description="Consecutive misses before a lapse.")
    escalate_after_days: int = Field(3, ge=0, le=365)
    auto_create: bool = Field(
        False, description="True: attendance naming a group or member the roster does not "
        "know creates it (the attendance source is the roster); false: it is held on the "
        "program's unmatched list for a coordinator to map or reject (decision 0021).",
    )  # fmt: skip


class CoordinatorAssigned(ProgramPayload):
    """A coordinator now looks after the program's groups (name and contact are sealed)."""

    coordinator: ExternalId
    name: Personal = Field(description="Personal data: sealed, never republished.")
    contact: Personal = Field(description="Personal data: e-mail address or webhook URL.")
    time_zone: TimeZone = "UTC"
    channel: Literal["email", "webhook", "slack"] = "email"
    digest: Literal["immediate", "daily"] = "daily"
    digest_hour: int = Field(8, ge=0, le=23)


class GroupFormed(GroupPayload):
    """A group was formed within the program."""

    name: Name
    cadence: Cadence
    goal: Text = ""
    coordinator: ExternalId | None = None


class MemberJoined(GroupPayload):
    """A member joined the group; name and contact are optional personal data."""

    member: ExternalId
    role: Role = "peer"
    pseudonym: Pseudonym | None = None
    display_name: Personal | None = Field(None, description="Personal data: sealed.")
    contact: Personal | None = Field(None, description="Personal data: sealed.")


class MemberRoleChanged(GroupPayload):
    """An operator changed a current member's role (onboarding)."""

    member: ExternalId
    role: Role


class MemberLeft(GroupPayload):
    """A member left the group."""

    member: ExternalId


class SessionScheduled(GroupPayload):
    """A session was put in the calendar."""

    session: ExternalId
    scheduled_for: Moment


class SessionHeld(GroupPayload):
    """A session took place: the whole roll call, or ``attendance_taken: false``."""

    session: ExternalId
    present: RollCall = []
    absent: RollCall = []
    excused: RollCall = []
    attendance_taken: bool = Field(True, description="False: we met, nobody took attendance.")

    @model_validator(mode="after")
    def _consistent_roll_call(self) -> SessionHeld:
        names = [*self.present, *self.absent, *self.excused]
        if not self.attendance_taken and names:
            raise ValueError("a roll call needs attendance_taken true")
        if len(set(names)) != len(names):
            raise ValueError("a member appears more than once in the roll call")
        return self


class SessionCancelled(GroupPayload):
    """A scheduled session will not take place."""

    session: ExternalId
    reason: Text = ""


class AttendanceMarked(GroupPayload):
    """One member's attendance at one session (check-in apps, late marks)."""

    session: ExternalId
    member: ExternalId
    status: Status


class CommitmentMade(GroupPayload):
    """A member committed to do something, usually at a session."""

    commitment: ExternalId
    member: ExternalId
    session: ExternalId | None = None
    due: Moment | None = None


class CommitmentSettled(GroupPayload):
    """A commitment was kept or missed (``member`` places it if it was never seen made)."""

    commitment: ExternalId
    member: ExternalId


class GroupPaused(GroupPayload):
    """The group planned a break ("not meeting until ..."): never a risk."""

    until: Moment
    reason: Text = ""


class GroupResumed(GroupPayload):
    """The group is meeting again after a pause."""


class InterventionLogged(GroupPayload):
    """A coordinator acted on the group (decision 0019): a call, a message, a meeting, a
    merge into another group of the program (``merged_into``, which ends this one) or the
    group's end (``ended``: it is concluded). Only for a group peerpulse already knows."""

    coordinator: ExternalId = Field(description="The sender's id of the coordinator who acted.")
    kind: InterventionKind
    note: Text = Field("", description="A short note; published as written: no personal data.")
    merged_into: ExternalId | None = Field(
        None, description="For kind 'merged' (and only then): the sender's id of the group "
        "the members joined, in the same program.",
    )  # fmt: skip

    @model_validator(mode="after")
    def _merge_names_its_target(self) -> InterventionLogged:
        if (self.kind == "merged") != (self.merged_into is not None):
            raise ValueError("merged_into is required for kind 'merged' and only allowed there")
        if self.merged_into == self.group:
            raise ValueError("a group cannot be merged into itself")
        return self


PeerpulseId = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")
]
"""A peerpulse id (lower-case UUID), as the API and the dashboard show it."""


class UnmatchedMapped(ProgramPayload):
    """A coordinator mapped an unmatched item (decision 0021) to a group or a member the
    roster knows: the held attendance is applied there, and the sender's id is matched
    to it from then on. ``to_group`` for an unknown group, ``to_member`` for an unknown
    member (peerpulse ids, as the unmatched list and the API show them)."""

    item: PeerpulseId = Field(description="The unmatched item's id.")
    coordinator: ExternalId = Field(description="Who mapped it (the sender's id).")
    to_group: PeerpulseId | None = None
    to_member: PeerpulseId | None = None

    @model_validator(mode="after")
    def _one_target(self) -> UnmatchedMapped:
        if (self.to_group is None) == (self.to_member is None):
            raise ValueError("give exactly one of to_group and to_member")
        return self


class UnmatchedRejected(ProgramPayload):
    """A coordinator rejected an unmatched item (decision 0021): dropped, with a record."""

    item: PeerpulseId = Field(description="The unmatched item's id.")
    coordinator: ExternalId = Field(description="Who rejected it (the sender's id).")
    reason: Text = ""
