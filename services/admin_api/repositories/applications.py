"""Applications of prospects (``/h5/apply``) as staff list and process them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.applications import move
from libs.common.db.models import Application
from services.admin_api.listing import ListParams, paginate
from services.admin_api.scope import Principal

_SORT = {
    "id": Application.id,
    "created_at": Application.created_at,
    "updated_at": Application.updated_at,
    "status": Application.status,
}


async def list_applications(
    session: AsyncSession,
    *,
    principal: Principal,
    params: ListParams,
    account_id: int | None,
    status: str | None,
    product: str | None,
) -> tuple[list[Application], int]:
    """One page of the applications to the accounts the caller sees, newest first by default."""
    stmt = select(Application).where(
        await principal.account_clause(session, Application.account_id)
    )
    if account_id is not None:
        stmt = stmt.where(Application.account_id == account_id)
    if status is not None:
        stmt = stmt.where(Application.status == status)
    if product is not None:
        stmt = stmt.where(Application.product == product)
    return await paginate(
        session,
        stmt,
        params,
        sortable=_SORT,
        default_sort=[Application.id.desc()],
        search=[Application.name, Application.openid],
    )


async def update_status(
    session: AsyncSession, *, application: Application, status: str, note: str
) -> None:
    """Move the application's status on (raises ``TransitionRefused`` when not allowed)."""
    move(application, status, note)
    await session.flush()
