"""Personal data taken out of a rejected message before it is dead-lettered.

The ingest contract marks personal fields by their description ("Personal data: ...",
:mod:`infra.contract.inbound.payloads`): ``member.joined`` ``display_name``/``contact``,
``coordinator.assigned`` ``name``/``contact``. A value that parses as a JSON object (or a
JSON array of them) has those fields of its ``data`` replaced by :data:`MARKER`; a message
of an unknown type has every field any type marks personal replaced (over-redacting a
program's ``name`` rather than keeping a coordinator's). A value that does not parse is
returned unchanged: it cannot be inspected (the DLQ topic's short retention bounds it).
"""

from __future__ import annotations

import json
from typing import Any

from infra.contract.inbound.messages import BY_TYPE

MARKER = "[personal data removed]"


def _personal_fields(model: type) -> frozenset[str]:
    payload = model.model_fields["data"].annotation
    return frozenset(
        name
        for name, info in payload.model_fields.items()
        if (info.description or "").startswith("Personal data")
    )


PERSONAL_FIELDS: dict[str, frozenset[str]] = {t: _personal_fields(m) for t, m in BY_TYPE.items()}
"""The personal fields of ``data``, by message ``type``."""
ANY_PERSONAL: frozenset[str] = frozenset().union(*PERSONAL_FIELDS.values())


def redact(value: bytes | None) -> tuple[bytes | None, list[str]]:
    """``value`` with its personal fields replaced, and their paths (``data.contact``...).

    Unchanged (same bytes, no paths) when nothing personal is in it or it does not parse;
    otherwise re-serialised as compact UTF-8 JSON, keys in their original order.
    """
    if not value:
        return value, []
    try:
        parsed = json.loads(value.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return value, []
    if isinstance(parsed, list):
        removed = [f"[{i}].{path}" for i, item in enumerate(parsed) for path in _scrub(item)]
    else:
        removed = _scrub(parsed)
    if not removed:
        return value, []
    try:
        return json.dumps(parsed, ensure_ascii=False, separators=(",", ":")).encode(), removed
    except UnicodeEncodeError:  # a lone surrogate json accepted: escape it instead
        return json.dumps(parsed, separators=(",", ":")).encode(), removed


def _scrub(message: Any) -> list[str]:
    """Replace, in place, the personal fields of one message's ``data``; their paths."""
    if not isinstance(message, dict) or not isinstance(message.get("data"), dict):
        return []
    kind = message.get("type")
    fields = PERSONAL_FIELDS.get(kind, ANY_PERSONAL) if isinstance(kind, str) else ANY_PERSONAL
    data = message["data"]
    removed = [f for f in data if f in fields and data[f] is not None]
    for field in removed:
        data[field] = MARKER
    return [f"data.{f}" for f in removed]
