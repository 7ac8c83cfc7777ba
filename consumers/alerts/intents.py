"""Decoding alert intents (CloudEvents JSON on ``peerpulse.alerts.v1``) into plain data."""

from __future__ import annotations

import json
from datetime import datetime

from consumers.alerts.model import RAISING_KINDS, RESOLVING_KINDS, AlertIntent

PREFIX, SUFFIX = "peerpulse.alert.", ".v1"


class BadIntent(ValueError):
    """The message is not an alert intent we understand; ``code`` is a bounded label."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


def decode(raw: bytes | str) -> AlertIntent:
    """Parse one message value per docs/contract/ALERTS.md or raise :class:`BadIntent`."""
    try:
        env = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadIntent("not-json", f"not JSON: {exc}") from exc
    if not isinstance(env, dict) or not isinstance(env.get("data"), dict):
        raise BadIntent("not-cloudevent", "not a CloudEvents envelope with object data")
    etype = str(env.get("type", ""))
    kind = etype.removeprefix(PREFIX).removesuffix(SUFFIX)
    if not (etype.startswith(PREFIX) and etype.endswith(SUFFIX)) or kind not in (
        RAISING_KINDS + RESOLVING_KINDS
    ):
        raise BadIntent("unknown-type", f"unknown alert type {etype!r}")
    data = env["data"]
    missing = [f for f in ("alert_key", "program_id", "group_id") if not data.get(f)]
    if "member" in kind and not data.get("member_id"):
        missing.append("member_id")
    if missing or not env.get("id"):
        raise BadIntent("missing-field", f"missing {', '.join(missing) or 'id'}")
    try:
        time = datetime.fromisoformat(str(env.get("time")).replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadIntent("bad-time", f"bad time {env.get('time')!r}") from exc
    if time.tzinfo is None:
        raise BadIntent("bad-time", "time has no timezone")
    return AlertIntent(
        id=str(env["id"]),
        kind=kind,
        time=time,
        alert_key=str(data["alert_key"]),
        program_id=str(data["program_id"]),
        group_id=str(data["group_id"]),
        member_id=str(data["member_id"]) if data.get("member_id") else None,
        data=data,
    )


def encode(intent: AlertIntent) -> bytes:
    """The wire form of an intent (for fixtures, demos and tests)."""
    return json.dumps(
        {
            "specversion": "1.0",
            "id": intent.id,
            "source": "peerpulse/projections",
            "type": f"{PREFIX}{intent.kind}{SUFFIX}",
            "subject": intent.group_id,
            "time": intent.time.isoformat(),
            "datacontenttype": "application/json",
            "data": {
                "alert_key": intent.alert_key,
                "program_id": intent.program_id,
                "group_id": intent.group_id,
                **({"member_id": intent.member_id} if intent.member_id else {}),
                **intent.data,
            },
        }
    ).encode()
