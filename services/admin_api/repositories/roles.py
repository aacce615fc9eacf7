"""Roles (named permission sets owned by an organisation)."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Role, user_roles
from services.admin_api.listing import ListParams, paginate
from services.admin_api.scope import Principal

_SORT = {"id": Role.id, "code": Role.code, "name": Role.name}


async def list_roles(
    session: AsyncSession, *, principal: Principal, params: ListParams
) -> tuple[list[Role], int]:
    """One page of the roles owned by organisations in the caller's subtree."""
    stmt = select(Role).where(principal.org_clause(Role.org_id))
    return await paginate(
        session, stmt, params, sortable=_SORT, default_sort=[Role.id], search=[Role.name, Role.code]
    )


async def is_assigned(session: AsyncSession, *, role_id: int) -> bool:
    """Whether any user holds the role."""
    return bool(await session.scalar(select(exists().where(user_roles.c.role_id == role_id))))
