"""Stored events the relay cannot publish go to its dead-letter topic, never stop it.

A stored event that cannot be decoded, or does not fit its public wire model, is not put
on the events topic. The reader turns it into a *quarantine record* instead: a JSON
document naming its notification id, stored type, aggregate and the reason, with the raw
stored bytes in base64 (never decoded further, never decrypted: personal data in a stored
event is sealed and stays so). The relay sends it to the relay's dead-letter topic with the
same ``pp-position`` header as any relayed record, so the DLQ's newest record tells which
quarantined events are already there (docs/decisions/0007-outbox-relay.md, point 4).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from infra.errors import one_line
from infra.topics import EVENTS, EVENTS_DLQ

QUARANTINED = -2
"""``Record`` partition of a quarantine record: it goes to the DLQ, not the events topic."""
REASON_HEADER = "pp-error-reason"
MAX_STATE_BYTES = 512 * 1024
"""Stored bytes copied at most; a longer state keeps a prefix, its size and its sha256."""
MAX_REASON_CHARS = 2000


def dlq_topic_for(topic: str) -> str:
    """The relay's dead-letter topic for events ``topic`` (tests relay to their own topics)."""
    return EVENTS_DLQ.name if topic == EVENTS.name else f"{topic}.dlq"


def quarantine_record(notification: Any, exc: BaseException) -> tuple[Any, ...]:
    """The reader's record for a notification it cannot translate (see ``infra.relay_reader``)."""
    state = bytes(notification.state)
    reason = one_line(exc)[:MAX_REASON_CHARS]
    aggregate = str(notification.originator_id).encode()
    document = {
        "position": notification.id,
        "stored_type": notification.topic,
        "aggregate_id": str(notification.originator_id),
        "aggregate_version": notification.originator_version,
        "reason": reason,
        "state_base64": base64.b64encode(state[:MAX_STATE_BYTES]).decode(),
        "state_bytes": len(state),
        "state_sha256": hashlib.sha256(state).hexdigest(),
        "state_truncated": len(state) > MAX_STATE_BYTES,
    }
    headers = [
        ("pp-aggregate-id", aggregate),
        ("pp-aggregate-version", str(notification.originator_version).encode()),
        ("pp-position", str(notification.id).encode()),
        ("pp-stored-type", notification.topic.encode()),
        (REASON_HEADER, reason.encode()),
    ]
    value = json.dumps(document, separators=(",", ":")).encode()
    return (notification.id, aggregate, value, headers, QUARANTINED)


def header(headers: list[tuple[str, bytes]], name: str) -> str:
    """One header's value as text ('' when absent)."""
    return next((value.decode() for key, value in headers if key == name), "")
