"""The audit log: read-only, filterable, exportable as CSV (R-AD-11)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import Field
from sqlalchemy import Select, select

from libs.common.db.models import AuditEntry
from libs.common.spreadsheet import SafeCsvRows
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import MAX_ID, ReadModel
from services.admin_api.listing import ListQuery, Page, order_by, paginate
from services.admin_api.scope import Principal

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


_SORT = {
    "id": AuditEntry.id,
    "at": AuditEntry.at,
    "action": AuditEntry.action,
    "username": AuditEntry.username,
}


def _filtered(
    principal: Principal,
    user_id: int | None,
    action: str | None,
    entity: str | None,
    entity_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> Select[AuditEntry]:
    stmt = select(AuditEntry).where(principal.org_clause(AuditEntry.org_id))
    if not principal.is_head_office:
        # Anonymous entries (failed logins) carry no org; only the head office sees them.
        stmt = stmt.where(AuditEntry.org_id.is_not(None))
    if user_id is not None:
        stmt = stmt.where(AuditEntry.user_id == user_id)
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action))
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.at < until)
    return stmt


UserFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="操作人 ID · user id")]
ActionFilter = Annotated[str | None, Query(max_length=64, description="动作前缀 · action prefix")]
EntityFilter = Annotated[str | None, Query(max_length=64, description="对象类型 · entity type")]
EntityIdFilter = Annotated[str | None, Query(max_length=64, description="对象 ID · entity id")]
SinceFilter = Annotated[datetime | None, Query(description="起始时间（含） · from (inclusive)")]
UntilFilter = Annotated[datetime | None, Query(description="结束时间（不含） · until (exclusive)")]


@router.get(
    "",
    response_model=Page[AuditRead],
    dependencies=[Perm("audit.read")],
    summary="审计日志 · audit log",
)
async def list_audit(
    principal: CurrentUser,
    session: SessionDep,
    params: ListQuery,
    user_id: UserFilter = None,
    action: ActionFilter = None,
    entity: EntityFilter = None,
    entity_id: EntityIdFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
) -> Page[AuditRead]:
    """Audit entries of users in the caller's subtree, newest first."""
    stmt = _filtered(principal, user_id, action, entity, entity_id, since, until)
    items, total = await paginate(
        session,
        stmt,
        params,
        sortable=_SORT,
        default_sort=[AuditEntry.id.desc()],
        search=[AuditEntry.username, AuditEntry.action],
    )
    return Page[AuditRead](
        items=[AuditRead.model_validate(e) for e in items],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )


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
    params: ListQuery,
    user_id: UserFilter = None,
    action: ActionFilter = None,
    entity: EntityFilter = None,
    entity_id: EntityIdFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
) -> StreamingResponse:
    """The filtered audit log as CSV (UTF-8 with BOM for spreadsheet apps), streamed in batches."""
    stmt = _filtered(principal, user_id, action, entity, entity_id, since, until)
    stmt = stmt.order_by(*order_by(params.sort, _SORT, [AuditEntry.id]))
    sessions = state.sessions

    async def rows() -> AsyncIterator[str]:
        csv_rows = SafeCsvRows()
        yield "\ufeff" + csv_rows.render(_CSV_COLUMNS)
        # Its own session: the request's session ends before the body is streamed.
        async with sessions() as reader:
            result = await reader.stream_scalars(stmt.execution_options(yield_per=500))
            async for entry in result:
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
