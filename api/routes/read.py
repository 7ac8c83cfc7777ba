"""Read endpoints: programs, groups (triage order, filtered, paged), one group, its members."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from api.auth.deps import check_program, forbidden, not_found, require
from api.auth.tokens import ApiToken, Scope
from api.openapi import errors
from api.schemas import GroupDetail, GroupPage, MemberList, ProgramList
from api.triage import GroupFilter

router = APIRouter(prefix="/v1", tags=["read"])
Reader = Annotated[ApiToken, Depends(require(Scope.READ))]
Level = Literal["healthy", "watch", "at_risk", "dormant"]
_MISSING = errors({404: "No such group, or one the token may not see (one answer)."})
_FILTER_ERRORS = errors({403: "The token does not cover the program or coordinator named."})
MAX_PAGE = 200
SORT_DOC = (
    "`triage` (default): `at_risk` by the model's probability, then `watch`, then "
    "`healthy`; then `dormant` (section `gone_quiet`, longest without a session first) and "
    "ended groups (section "
    "`ended`). `-score`: highest score first; `score`: lowest first; `name`."
)


def _queries(request: Request):
    return request.app.state.parts.api_queries


def _group_or_404(request: Request, token: ApiToken, group_id: UUID) -> dict[str, Any]:
    """The group, or the same 404 whether it is missing or one the token may not see."""
    group = _queries(request).group(str(group_id))
    if group is None or not token.sees_group(group):
        raise not_found("group", field="group_id")
    return group


@router.get("/programs", response_model=ProgramList,
            summary="Programs this token covers, with groups per level")  # fmt: skip
def list_programs(request: Request, token: Reader) -> dict[str, Any]:
    """Every program the token may see, with its count of groups per risk level."""
    return {"items": _queries(request).programs(token)}


@router.get("/groups", response_model=GroupPage, responses=_FILTER_ERRORS,
            summary="Groups in triage order: saveable first, gone quiet apart")  # fmt: skip
def list_groups(
    request: Request, token: Reader,
    program: Annotated[UUID | None, Query(description="Only this program's groups.")] = None,
    coordinator: Annotated[UUID | None, Query(
        description="Only the groups this coordinator is responsible for.")] = None,
    level: Annotated[list[Level], Query(
        description="Only groups at these levels (repeat the parameter for several).")] = [],  # noqa: B006
    acknowledged: Annotated[bool | None, Query(
        description="`true`: groups whose open alerts are all acknowledged; `false`: groups "
        "with an open alert nobody has acknowledged. Groups without an open alert match "
        "neither.")] = None,
    q: Annotated[str, Query(max_length=100,
                            description="A case-insensitive part of the group's name.")] = "",
    sort: Annotated[Literal["triage", "-score", "score", "name"], Query(description=SORT_DOC)]
    = "triage",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size.")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Rows to skip.")] = 0,
) -> dict[str, Any]:  # fmt: skip
    """A page of groups, with ``total`` the number matching the filters. A coordinator-bound
    token sees only its own groups, whatever the filters."""
    if program is not None:
        check_program(token, program, field="program")
    if coordinator is not None and token.coordinator not in (None, coordinator):
        raise forbidden(f"this token does not cover coordinator {coordinator}", "coordinator")
    f = GroupFilter(program=_str(program), coordinator=_str(coordinator), levels=tuple(level),
                    acknowledged=acknowledged, q=q.strip())  # fmt: skip
    total, items = _queries(request).groups(token, f, sort=sort, limit=limit, offset=offset)
    return {"total": total, "limit": limit, "offset": offset, "items": items}


def _str(value: UUID | None) -> str | None:
    return None if value is None else str(value)


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
