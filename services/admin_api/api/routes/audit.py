"""The audit log: read-only, filterable, exportable as CSV (R-AD-11)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import Field

from libs.common.spreadsheet import SafeCsvRows
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import MAX_ID, ReadModel
from services.admin_api.listing import ListQuery, Page
from services.admin_api.repositories import audit_log
from services.admin_api.repositories.audit_log import AuditFilter

router = APIRouter(prefix="/api/v1/audit", tags=["audit 审计"])


class AuditRead(ReadModel):
    """One audit entry."""

    id: int = Field(description="序号 · id")
    at: datetime = Field(description="时间 · when")
    user_id: int | None = Field(ge=1, le=MAX_ID, description="操作人 ID · user id")
    username: str = Field(description="操作人 · username")
    org_id: int | None = Field(ge=1, le=MAX_ID, description="操作人机构 · user's organisation")
    action: str = Field(description="动作 · action")
    entity: str = Field(description="对象类型 · entity type")
    entity_id: str = Field(description="对象 ID · entity id")
    before: dict[str, Any] | None = Field(description="修改前 · before")
    after: dict[str, Any] | None = Field(description="修改后 · after")
    ip: str = Field(description="来源地址 · client address")


async def audit_filter(
    user_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="操作人 ID · user id")
    ] = None,
    action: Annotated[
        str | None, Query(max_length=64, description="动作前缀 · action prefix")
    ] = None,
    entity: Annotated[
        str | None, Query(max_length=64, description="对象类型 · entity type")
    ] = None,
    entity_id: Annotated[
        str | None, Query(max_length=64, description="对象 ID · entity id")
    ] = None,
    since: Annotated[
        datetime | None, Query(description="起始时间（含） · from (inclusive)")
    ] = None,
    until: Annotated[
        datetime | None, Query(description="结束时间（不含） · until (exclusive)")
    ] = None,
) -> AuditFilter:
    """The filter query parameters shared by the list and the export."""
    return AuditFilter(user_id, action, entity, entity_id, since, until)


FilterDep = Annotated[AuditFilter, Depends(audit_filter)]


@router.get(
    "",
    response_model=Page[AuditRead],
    dependencies=[Perm("audit.read")],
    summary="审计日志 · audit log",
)
async def list_audit(
    principal: CurrentUser,
    session: SessionDep,
    flt: FilterDep,
    params: ListQuery,
) -> Page[AuditRead]:
    """Audit entries of users in the caller's subtree, newest first."""
    items, total = await audit_log.list_entries(
        session, principal=principal, flt=flt, params=params
    )
    return Page[AuditRead].of([AuditRead.model_validate(e) for e in items], total, params)


_CSV_COLUMNS = [
    "id",
    "at",
    "username",
    "user_id",
    "org_id",
    "action",
    "entity",
    "entity_id",
    "ip",
    "before",
    "after",
]


@router.get(
    "/export.csv",
    dependencies=[Perm("audit.read")],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
    summary="导出审计日志 · export audit log as CSV",
)
async def export_audit(
    principal: CurrentUser,
    state: StateDep,
    flt: FilterDep,
    params: ListQuery,
) -> StreamingResponse:
    """The filtered audit log as CSV (UTF-8 with BOM for spreadsheet apps), streamed in batches."""
    entries = audit_log.stream_entries(
        state.sessions, principal=principal, flt=flt, sort=params.sort
    )

    async def rows() -> AsyncIterator[str]:
        csv_rows = SafeCsvRows()
        yield "\ufeff" + csv_rows.render(_CSV_COLUMNS)
        async for entry in entries:
            yield csv_rows.render(
                [
                    entry.id,
                    entry.at.isoformat(),
                    entry.username,
                    entry.user_id,
                    entry.org_id,
                    entry.action,
                    entry.entity,
                    entry.entity_id,
                    entry.ip,
                    json.dumps(entry.before, ensure_ascii=False) if entry.before else "",
                    json.dumps(entry.after, ensure_ascii=False) if entry.after else "",
                ]
            )

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
