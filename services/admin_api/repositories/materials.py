"""The content library: text, news, image and voice materials of an organisation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Material
from services.admin_api.listing import ListParams, paginate
from services.admin_api.scope import Principal

_SORT = {
    "id": Material.id,
    "title": Material.title,
    "created_at": Material.created_at,
    "size": Material.size,
}


async def list_materials(
    session: AsyncSession, *, principal: Principal, params: ListParams, kind: str | None
) -> tuple[list[Material], int]:
    """One page of the materials of the caller's subtree, newest first by default."""
    stmt = select(Material).where(principal.org_clause(Material.org_id))
    if kind:
        stmt = stmt.where(Material.kind == kind)
    return await paginate(
        session,
        stmt,
        params,
        sortable=_SORT,
        default_sort=[Material.id.desc()],
        search=[Material.title, Material.text],
    )
