"""The public wire contract of ``peerpulse.events.v1`` (docs/contract/EVENTS.md).

Pydantic models for the CloudEvents envelope and every event's ``data``, the registry
and JSON codec, and the translator from stored domain events to Kafka records. What comes
in (attendance from other systems) has its own contract in :mod:`infra.contract.inbound`.
"""

from infra.contract.envelope import SOURCE, CloudEvent
from infra.contract.registry import (
    BY_DOMAIN,
    BY_TYPE,
    DATA_MODELS,
    ENVELOPES,
    decode,
    encode,
    envelope,
)

__all__ = [
    "BY_DOMAIN",
    "BY_TYPE",
    "DATA_MODELS",
    "ENVELOPES",
    "SOURCE",
    "CloudEvent",
    "decode",
    "encode",
    "envelope",
]
