"""What the onboarding and unmatched endpoints share: plan a row, publish its message.

A row (from a form or a PUT body) is judged against the event store like a CSV row
(:mod:`infra.onboarding.plan`): a dry run or an unchanged row answers 200 and publishes
nothing; anything else becomes the one ingest message that says it, checked by the same
decoder as ``POST /v1/attendance``, its personal data sealed by the door, and produced
onto ``peerpulse.attendance.v1`` (202). Ingest applies it like any other message.
"""

from __future__ import annotations

import inspect
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool

from api.errors import ApiError
from api.ingest import parse_attendance, seal_personal
from infra.onboarding.plan import Change, Conflict, message, plan
from infra.onboarding.rows import Row


def answer(change: Change, dry_run: bool, message_id: str | None = None) -> dict[str, Any]:
    """The JSON answer (:class:`api.schemas.OnboardingAnswer`) for a planned change."""
    return {"dry_run": dry_run, "action": change.action, "what": change.what,
            "fields": {k: {"from": old, "to": new} for k, (old, new) in change.fields.items()},
            "message_type": change.type, "published": message_id is not None,
            "message_id": message_id}  # fmt: skip


async def planned(parts: Any, source: str, row: Row) -> Change:
    """What ``row`` would change (409 when it contradicts what peerpulse knows)."""
    try:
        return await run_in_threadpool(plan, parts.app, source, row)
    except Conflict as exc:
        raise ApiError(409, str(exc), field="program", code="conflict") from None


async def publish_change(parts: Any, source: str, row: Row, change: Change, by: str) -> str:
    """Publish the message that makes ``change``; its CloudEvents id."""
    now = datetime.now(UTC)
    return await publish_raw(parts, message(source, row, change, now), by)


async def publish_raw(parts: Any, raw: bytes, by: str) -> str:
    """Decode (422 naming the field), seal and produce one message; its CloudEvents id."""
    accepted = parse_attendance(raw, datetime.now(UTC))
    accepted = await run_in_threadpool(seal_personal, accepted, parts.vault)
    headers = [("pp-received-via", b"http"), ("pp-api-token", by.encode())]
    publisher = parts.attendance_publisher
    if inspect.iscoroutinefunction(publisher.publish):
        await publisher.publish(accepted, headers)
    else:
        await run_in_threadpool(publisher.publish, accepted, headers)
    return accepted[0].command.message.id


def unmatched_items(inbox: Any, resolved: bool = False) -> dict[str, list[dict[str, Any]]]:
    """A program's unmatched list as the API shows it: open items oldest first and, with
    ``resolved``, what became of the others (newest first)."""
    if inbox is None:
        return {"open": [], "resolved": []}
    opened = [_item(i) for i in sorted(inbox.open.values(), key=lambda i: i["at"])]
    done = []
    if resolved:
        for c in sorted(inbox.closed.values(), key=lambda c: c["at"], reverse=True):
            done.append({**_item(c["item"]), "outcome": c["outcome"], "resolved_at": c["at"],
                         "by": c.get("by"), "reason_given": c.get("reason"),
                         "target": c.get("target")})  # fmt: skip
    return {"open": opened, "resolved": done}


def _item(item: dict[str, Any]) -> dict[str, Any]:
    return {"item": item["item"], "reason": item["reason"], "source": item["source"],
            "program": item["program"], "group": item["group"], "group_id": item["group_id"],
            "session": item["session"], "at": item["at"], "roll_call": item["roll_call"],
            "marks": [{"member": ext, "member_id": m, "status": s}
                      for m, ext, s in item["marks"]]}  # fmt: skip
