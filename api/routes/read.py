"""Read endpoints: programs, groups (filtered, sorted, paged), one group, its members."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from api.auth.deps import check_program, not_found, require
from api.auth.tokens import ApiToken, Scope
from api.openapi import errors
from api.schemas import GroupDetail, GroupPage, MemberList, ProgramList

router = APIRouter(prefix="/v1", tags=["read"])
Reader = Annotated[ApiToken, Depends(require(Scope.READ))]
Level = Literal["healthy", "watch", "at_risk", "dormant"]
_MISSING = errors({404: "No such group, or one outside the token's programs (one answer)."})


def _queries(request: Request):
    return request.app.state.parts.api_queries


def _group_or_404(request: Request, token: ApiToken, group_id: UUID) -> dict[str, Any]:
    """The group, or the same 404 whether it is missing or outside the token's programs."""
    group = _queries(request).group(str(group_id))
    if group is None or not token.sees(group["program_id"]):
        raise not_found("group", field="group_id")
    return group


@router.get("/programs", response_model=ProgramList,
            summary="Programs this token covers, with groups per level")  # fmt: skip
def list_programs(request: Request, token: Reader) -> dict[str, Any]:
    """Every program the token may see, with its count of groups per risk level."""
    return {"items": _queries(request).programs(token)}


@router.get("/groups", response_model=GroupPage,
            summary="Groups with their health, riskiest first by default")  # fmt: skip
def list_groups(
    request: Request, token: Reader,
    program: Annotated[UUID | None, Query(description="Only this program's groups.")] = None,
    level: Annotated[Level | None, Query(description="Only groups at this level.")] = None,
    sort: Annotated[Literal["-score", "score", "name"], Query(
        description="`-score`: riskiest first (default); `score`: healthiest first.")] = "-score",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:  # fmt: skip
    """A page of groups, with ``total`` the number matching the filters."""
    if program is not None:
        check_program(token, program, field="program")
    total, items = _queries(request).groups(
        token, program=program, level=level, sort=sort, limit=limit, offset=offset
    )
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.get("/groups/{group_id}", response_model=GroupDetail, responses=_MISSING,
            summary="One group: assessment, reasons, timeline and level history")  # fmt: skip
def get_group(request: Request, token: Reader, group_id: UUID) -> dict[str, Any]:
    """The group's current assessment with its reasons, sessions, attendance, commitments."""
    group = _group_or_404(request, token, group_id)
    return _queries(request).group_detail(group)


@router.get("/groups/{group_id}/members", response_model=MemberList, responses=_MISSING,
            summary="A group's members with their engagement and lapse status")  # fmt: skip
def get_members(request: Request, token: Reader, group_id: UUID) -> dict[str, Any]:
    """Members with attendance counts and lapse status; names resolved for the reader."""
    _group_or_404(request, token, group_id)
    return {"items": _queries(request).members(str(group_id))}
