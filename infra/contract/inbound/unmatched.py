"""Build ``unmatched.mapped`` / ``unmatched.rejected`` messages: what the CLI and API send.

A coordinator's decision on held attendance travels like every other fact from outside
(decision 0021): as an inbound message applied by ingest. These build and validate it
from plain values; bad values raise :class:`InvalidUnmatched` with one line naming the
field. ``source`` must be the program's own sender (the one its unmatched item names),
so that ``program`` derives the program's id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar
from uuid import uuid4

from pydantic import ValidationError

from infra.contract.inbound.decoder import _from_validation
from infra.contract.inbound.messages import UnmatchedMappedV1, UnmatchedRejectedV1, type_of

M = TypeVar("M", UnmatchedMappedV1, UnmatchedRejectedV1)


class InvalidUnmatched(ValueError):
    """The values do not make a valid message (one-line reason naming the field)."""


def mapped_message(*, source: str, program: str, item: str, coordinator: str,
                   occurred_at: datetime, to_group: str | None = None,
                   to_member: str | None = None) -> UnmatchedMappedV1:  # fmt: skip
    """``item`` mapped to a known group or member (peerpulse ids), validated."""
    data = {"program": program, "item": item, "coordinator": coordinator,
            "to_group": to_group, "to_member": to_member}  # fmt: skip
    return _validated(UnmatchedMappedV1, source, program, occurred_at, data)


def rejected_message(*, source: str, program: str, item: str, coordinator: str,
                     occurred_at: datetime, reason: str = "") -> UnmatchedRejectedV1:  # fmt: skip
    """``item`` rejected with ``reason``, validated."""
    data = {"program": program, "item": item, "coordinator": coordinator, "reason": reason}
    return _validated(UnmatchedRejectedV1, source, program, occurred_at, data)


def _validated(model: type[M], source: str, program: str, occurred_at: datetime,
               data: dict[str, Any]) -> M:  # fmt: skip
    body = {"specversion": "1.0", "id": f"unmatched-{uuid4().hex}", "source": source,
            "type": type_of(model), "time": occurred_at, "subject": program,
            "data": data}  # fmt: skip
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise InvalidUnmatched(_from_validation(exc).reason) from None


def encoded(message: UnmatchedMappedV1 | UnmatchedRejectedV1) -> bytes:
    """The structured-mode JSON bytes to publish on the attendance topic."""
    return message.model_dump_json(exclude_none=True).encode()
