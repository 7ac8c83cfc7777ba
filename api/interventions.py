"""Logging an intervention from the API, the dashboard and an action link (decision 0019).

An intervention is a domain fact written by ingest: this builds the
``intervention.logged`` message naming the group, its program and the coordinator by
their peerpulse ids (the reserved source ``urn:peerpulse:ids``) and publishes it on the
attendance topic like ``POST /v1/attendance``; ingest applies it (202: accepted, not yet
applied). Checked first, so a mistake is a 4xx here rather than a DLQ entry later: the
coordinator must be one of the group's program's coordinators.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from starlette.concurrency import run_in_threadpool

from api.errors import ApiError
from api.onboarding import publish_raw
from infra.contract.inbound.ids import PEERPULSE_IDS
from infra.contract.inbound.interventions import (
    InvalidIntervention,
    encoded,
    intervention_message,
)

KINDS = ("call", "message", "meeting", "ended")
"""What a person can log from the API, the dashboard or a link (``merged`` needs the
target group: ``peerpulse groups intervene --merged-into``, or an ingest message)."""


def _check_coordinator(parts: Any, program_id: str, coordinator: str) -> None:
    app = getattr(parts, "app", None)
    if app is None:
        return
    from domain.errors import UnknownProgram

    try:
        program = app.get_program(UUID(program_id))
    except UnknownProgram:
        return  # the read model knows the group; ingest will judge
    if program.coordinators and coordinator not in program.coordinators:
        raise ApiError(422, f"coordinator {coordinator} is not a coordinator of this group's "
                       "program", field="coordinator")  # fmt: skip


async def log_intervention(
    parts: Any, group: dict[str, Any], coordinator: str, kind: str, note: str, by: str,
    message_id: str | None = None,
) -> str:  # fmt: skip
    """Publish the intervention on ``group`` (a read-model row); its message id. 422 naming
    the field for a bad kind, note or coordinator."""
    if kind not in KINDS:
        raise ApiError(422, f"kind must be one of {', '.join(KINDS)}", field="kind")
    await run_in_threadpool(_check_coordinator, parts, group["program_id"], coordinator)
    try:
        message = intervention_message(
            source=PEERPULSE_IDS, program=group["program_id"], group=group["group_id"],
            coordinator=coordinator, kind=kind, occurred_at=datetime.now(UTC), note=note,
            message_id=message_id,
        )  # fmt: skip
    except InvalidIntervention as exc:
        raise ApiError(422, str(exc), field="note" if "note" in str(exc) else "kind") from None
    return await publish_raw(parts, encoded(message), by)
