"""The CloudEvents 1.0 envelope (structured JSON mode) and its per-type specialisations."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from infra.contract.base import Utc, WireData

SOURCE = "peerpulse/domain"
"""The CloudEvents ``source`` of every public domain event."""


class CloudEvent(BaseModel):
    """One public domain event as it travels on ``peerpulse.events.v1``.

    ``id`` is ``"{aggregate_id}:{version}"`` (stable across replays), ``subject`` the
    group id (program, member and clock events: their own id), ``time`` when it happened.
    """

    model_config = ConfigDict(
        strict=True, extra="forbid", frozen=True, json_schema_serialization_defaults_required=True
    )

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, description="'{aggregate_id}:{version}', stable across replays.")
    source: Literal["peerpulse/domain"] = SOURCE
    type: str
    subject: str = Field(min_length=1, description="Group id; else the aggregate's own id.")
    time: Utc = Field(description="When it happened (event time, UTC).")
    datacontenttype: Literal["application/json"] = "application/json"
    data: Any


def envelope_model(data_model: type[WireData]) -> type[CloudEvent]:
    """The envelope whose ``type`` is fixed to ``data_model.TYPE`` and ``data`` to its model."""
    name = data_model.__name__ + "Event"
    model = create_model(
        name,
        __base__=CloudEvent,
        __module__=__name__,
        __doc__=f"CloudEvent of type {data_model.TYPE}: {data_model.__doc__}",
        type=(Literal[data_model.TYPE], data_model.TYPE),  # type: ignore[valid-type]
        data=(data_model, ...),
    )
    return model
