"""Every public event type, indexed by wire ``type`` and by domain class; the JSON codec.

``encode``/``decode`` are the relay's and consumers' hot path: one pydantic-core pass
each way, dispatching on ``type`` with a discriminated union.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Union

from pydantic import Field, TypeAdapter

from infra.contract import followup, group, member, program
from infra.contract.base import WireData
from infra.contract.envelope import CloudEvent, envelope_model

DATA_MODELS: tuple[type[WireData], ...] = (
    program.MODELS + group.MODELS + followup.MODELS + member.MODELS
)
BY_TYPE: dict[str, type[WireData]] = {m.TYPE: m for m in DATA_MODELS}
"""Wire ``type`` -> its ``data`` model."""
BY_DOMAIN: dict[str, type[WireData]] = {m.DOMAIN: m for m in DATA_MODELS}
"""Domain event qualname (``"Group.SessionHeld"``) -> its ``data`` model."""
ENVELOPES: dict[str, type[CloudEvent]] = {t: envelope_model(m) for t, m in BY_TYPE.items()}
"""Wire ``type`` -> the envelope model specialised to it."""

_ANY_EVENT = TypeAdapter(
    Annotated[Union[tuple(ENVELOPES.values())], Field(discriminator="type")]  # noqa: UP007
)


def envelope(data: WireData, *, id: str, subject: str, time: datetime) -> CloudEvent:
    """Wrap ``data`` in the CloudEvent of its type."""
    return ENVELOPES[data.TYPE](id=id, subject=subject, time=time, type=data.TYPE, data=data)


def encode(event: CloudEvent) -> bytes:
    """The CloudEvents structured-mode JSON bytes of ``event``."""
    return event.__pydantic_serializer__.to_json(event)


def decode(raw: bytes | str) -> CloudEvent:
    """Parse and validate one message; raises ``pydantic.ValidationError`` if it is not one."""
    return _ANY_EVENT.validate_json(raw)
