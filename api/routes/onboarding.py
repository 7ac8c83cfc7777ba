"""Onboarding endpoints: create or change programs, coordinators, groups and rosters.

Admin scope. Ids in the path are the sender's own (external) ids at ``source``, as in
every ingest message, so the same program can be onboarded from a CSV file, this API or
the sending system itself. ``?dry_run=true`` answers what would change and publishes
nothing (decision 0021).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth.deps import check_program, require
from api.auth.tokens import ApiToken, Scope
from api.onboarding import answer, planned, publish_change
from api.openapi import errors
from api.schemas import ErrorResponse, OnboardingAnswer
from infra.contract.inbound import payloads as p
from infra.contract.inbound.ids import Ids
from infra.contract.inbound.messages import SourceId
from infra.onboarding.rows import Row

router = APIRouter(prefix="/v1", tags=["onboarding"])
Admin = Annotated[ApiToken, Depends(require(Scope.ADMIN))]
Source = Annotated[SourceId, Query(description="The system whose ids the path uses (the "
                                   "`source` its attendance carries).")]  # fmt: skip
DryRun = Annotated[bool, Query(description="Answer what would change; publish nothing.")]
ProgramId = Annotated[p.ExternalId, Path(description="The program's id at `source`.")]
GroupId = Annotated[p.ExternalId, Path(description="The group's id at `source`.")]
_ERRORS: dict[int | str, dict[str, Any]] = {
    200: {"model": OnboardingAnswer, "description": "A dry run, or nothing would change: "
          "what it would do; nothing was published."},
    **errors({
        400: "The body is not JSON, or not UTF-8 (`invalid_json`, `not_utf8`).",
        404: "Not used: an unknown program, group or member is created.",
        409: "The row contradicts what peerpulse knows (a group of another program).",
        422: "A path, query or body field breaks the ingest contract; `field` names it.",
    }),
    503: {"model": ErrorResponse, "description": "The broker did not take the message; "
          "re-send later (`busy`, `broker_timeout`, `broker_unavailable`)."},
}  # fmt: skip
_PUT = {"status_code": 202, "response_model": OnboardingAnswer, "responses": _ERRORS}


class _Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class ProgramBody(_Body):
    """A program's details (``program.launched`` / ``program.changed``)."""

    name: p.Name
    organisation: p.Name
    cadence: p.Cadence
    lapse_after: int = Field(3, ge=1, le=52)
    escalate_after_days: int = Field(3, ge=0, le=365)
    auto_create: bool = Field(False, description="True: attendance naming an unknown group "
                              "or member creates it; false: it is held as unmatched.")  # fmt: skip


class CoordinatorBody(_Body):
    """A coordinator's details (``coordinator.assigned``); name and contact are sealed."""

    name: p.Personal
    contact: p.Personal
    time_zone: p.TimeZone = "UTC"
    channel: Literal["email", "webhook", "slack"] = "email"
    digest: Literal["immediate", "daily"] = "daily"
    digest_hour: int = Field(8, ge=0, le=23)


class GroupBody(_Body):
    """A group's details (``group.formed`` / ``group.changed``)."""

    name: p.Name
    cadence: p.Cadence
    goal: p.Text = ""
    coordinator: p.ExternalId | None = None


class MemberBody(_Body):
    """A roster entry (``member.joined`` / ``member.role_changed``)."""

    role: p.Role = "peer"
    pseudonym: p.Pseudonym | None = None
    display_name: p.Personal | None = None
    contact: p.Personal | None = None


async def _onboard(request: Request, token: ApiToken, source: str, row: Row,
                   dry_run: bool) -> JSONResponse:  # fmt: skip
    check_program(token, Ids(source, _Named(row.data)).program, field="program")
    parts = request.app.state.parts
    change = await planned(parts, source, row)
    if dry_run or change.type is None:
        return JSONResponse(answer(change, dry_run), status_code=200)
    sent = await publish_change(parts, source, row, change, token.id)
    return JSONResponse(answer(change, dry_run, sent), status_code=202)


class _Named:
    def __init__(self, data: dict[str, Any]) -> None:
        self.program, self.group = data["program"], data.get("group")


def _row(kind: str, data: dict[str, Any], left: bool = False) -> Row:
    return Row("api", 0, kind, {k: v for k, v in data.items() if v is not None}, left)


@router.put("/programs/{program}", summary="Launch or change a program", **_PUT)
async def put_program(request: Request, token: Admin, program: ProgramId, source: Source,
                      body: Annotated[ProgramBody, Body()],
                      dry_run: DryRun = False) -> JSONResponse:  # fmt: skip
    """202: ``program.launched`` (new) or ``program.changed`` (different) was published."""
    row = _row("programs", {"program": program, **body.model_dump()})
    return await _onboard(request, token, source, row, dry_run)


@router.put("/programs/{program}/coordinators/{coordinator}", **_PUT,
            summary="Assign a coordinator, or change their details")  # fmt: skip
async def put_coordinator(
    request: Request, token: Admin, program: ProgramId, source: Source,
    coordinator: Annotated[p.ExternalId, Path(description="The coordinator's id at `source`.")],
    body: Annotated[CoordinatorBody, Body()], dry_run: DryRun = False,
) -> JSONResponse:  # fmt: skip
    """202: ``coordinator.assigned`` was published (name and contact sealed by the door)."""
    row = _row("coordinators", {"program": program, "coordinator": coordinator,
                                **body.model_dump()})  # fmt: skip
    return await _onboard(request, token, source, row, dry_run)


@router.put("/programs/{program}/groups/{group}", summary="Form or change a group", **_PUT)
async def put_group(request: Request, token: Admin, program: ProgramId, group: GroupId,
                    source: Source, body: Annotated[GroupBody, Body()],
                    dry_run: DryRun = False) -> JSONResponse:  # fmt: skip
    """202: ``group.formed`` (new) or ``group.changed`` (different) was published."""
    row = _row("groups", {"program": program, "group": group, **body.model_dump()})
    return await _onboard(request, token, source, row, dry_run)


MemberId = Annotated[p.ExternalId, Path(description="The member's id at `source`.")]


@router.put("/programs/{program}/groups/{group}/members/{member}", **_PUT,
            summary="Put a member on a group's roster, or change their role")  # fmt: skip
async def put_member(request: Request, token: Admin, program: ProgramId, group: GroupId,
                     member: MemberId, source: Source, body: Annotated[MemberBody, Body()],
                     dry_run: DryRun = False) -> JSONResponse:  # fmt: skip
    """202: ``member.joined`` (new) or ``member.role_changed`` (another role) was published."""
    row = _row("rosters", {"program": program, "group": group, "member": member,
                           **body.model_dump()})  # fmt: skip
    return await _onboard(request, token, source, row, dry_run)


@router.delete("/programs/{program}/groups/{group}/members/{member}", **_PUT,
               summary="Take a member off a group's roster")  # fmt: skip
async def delete_member(request: Request, token: Admin, program: ProgramId, group: GroupId,
                        member: MemberId, source: Source,
                        dry_run: DryRun = False) -> JSONResponse:  # fmt: skip
    """202: ``member.left`` was published; 200 when they are not on the roster."""
    row = _row("rosters", {"program": program, "group": group, "member": member}, left=True)
    return await _onboard(request, token, source, row, dry_run)


def _include_unmatched() -> None:
    from api.routes.unmatched import router as unmatched

    router.include_router(unmatched, prefix="")


_include_unmatched()
