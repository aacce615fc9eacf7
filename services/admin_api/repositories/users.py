"""Admin users and the roles they hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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


@dataclass(frozen=True, slots=True)
class Login:
    """What an authenticated request needs of its login session, user and organisation."""

    user_id: int | None
    revoked_at: datetime | None
    expires_at: datetime
    username: str | None
    is_active: bool
    org_id: int | None
    org_path: str | None
    org_parent_id: int | None
    permissions: frozenset[str]


async def get_login(session: AsyncSession, *, session_id: str) -> Login | None:
    """A login session with its user, organisation and the permissions of the user's roles,
    in one round trip (every authenticated request reads them): a row per role, columns only."""
    rows = (
        await session.execute(
            select(
                AuthSession.user_id,
                AuthSession.revoked_at,
                AuthSession.expires_at,
                AdminUser.username,
                AdminUser.is_active,
                Org.id,
                Org.path,
                Org.parent_id,
                Role.permissions,
            )
            .select_from(AuthSession)
            .outerjoin(AdminUser, AdminUser.id == AuthSession.user_id)
            .outerjoin(Org, Org.id == AdminUser.org_id)
            .outerjoin(user_roles, user_roles.c.user_id == AdminUser.id)
            .outerjoin(Role, Role.id == user_roles.c.role_id)
            .where(AuthSession.id == session_id)
        )
    ).all()
    if not rows:
        return None
    first = rows[0]
    permissions = frozenset(
        p for row in rows for p in (row.permissions or []) if isinstance(p, str)
    )
    return Login(
        user_id=first.user_id,
        revoked_at=first.revoked_at,
        expires_at=first.expires_at,
        username=first.username,
        is_active=bool(first.is_active),
        org_id=first.id,
        org_path=first.path,
        org_parent_id=first.parent_id,
        permissions=permissions,
    )


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
