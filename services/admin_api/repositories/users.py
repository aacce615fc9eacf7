"""Admin users and the roles they hold."""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import AdminUser, AuthSession, Org, Role, user_roles
from services.admin_api.listing import ListParams, paginate
from services.admin_api.scope import Principal

_SORT = {
    "id": AdminUser.id,
    "username": AdminUser.username,
    "created_at": AdminUser.created_at,
    "last_login_at": AdminUser.last_login_at,
}


async def get_login(
    session: AsyncSession, *, session_id: str
) -> tuple[AuthSession | None, AdminUser | None, Org | None]:
    """A login session with its user and the user's organisation, in one query (every
    authenticated request reads them)."""
    row = (
        await session.execute(
            select(AuthSession, AdminUser, Org)
            .outerjoin(AdminUser, AdminUser.id == AuthSession.user_id)
            .outerjoin(Org, Org.id == AdminUser.org_id)
            .where(AuthSession.id == session_id)
        )
    ).one_or_none()
    if row is None:
        return None, None, None
    return row[0], row[1], row[2]


async def get_by_username(session: AsyncSession, *, username: str) -> AdminUser | None:
    """The user with this username, if any."""
    return await session.scalar(select(AdminUser).where(AdminUser.username == username))


async def list_users(
    session: AsyncSession,
    *,
    principal: Principal,
    params: ListParams,
    org_id: int | None,
    is_active: bool | None,
) -> tuple[list[AdminUser], int]:
    """One page of the users of the caller's subtree."""
    stmt = select(AdminUser).where(principal.org_clause(AdminUser.org_id))
    if org_id is not None:
        stmt = stmt.where(AdminUser.org_id == org_id)
    if is_active is not None:
        stmt = stmt.where(AdminUser.is_active == is_active)
    return await paginate(
        session,
        stmt,
        params,
        sortable=_SORT,
        default_sort=[AdminUser.id],
        search=[AdminUser.username, AdminUser.display_name],
    )


async def list_role_ids(session: AsyncSession, *, user_id: int) -> list[int]:
    """Ids of the roles the user holds, ascending."""
    role_ids = await session.scalars(
        select(user_roles.c.role_id)
        .where(user_roles.c.user_id == user_id)
        .order_by(user_roles.c.role_id)
    )
    return list(role_ids)


async def replace_roles(session: AsyncSession, *, user_id: int, role_ids: list[int]) -> None:
    """Make ``role_ids`` the exact set of roles the user holds."""
    await session.execute(delete(user_roles).where(user_roles.c.user_id == user_id))
    if role_ids:
        await session.execute(
            insert(user_roles), [{"user_id": user_id, "role_id": r} for r in role_ids]
        )


async def list_permissions(session: AsyncSession, *, user_id: int) -> frozenset[str]:
    """Every permission the user's roles carry."""
    roles = await session.scalars(
        select(Role.permissions).join(user_roles).where(user_roles.c.user_id == user_id)
    )
    return frozenset(p for perms in roles for p in (perms or []) if isinstance(p, str))
