"""``wxhub create-admin``: the first administrator of a fresh installation.

A production database starts without users, and ``wxhub seed`` refuses to load the demo users
there; this creates a real one: the root organisation (if none exists), an ``administrator`` role
with every permission, and the user, with an audit entry. Idempotent for the organisation and the
role; an existing username is refused, never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade_async
from libs.common.db.models import AdminUser, AuditEntry, Org, Role, user_roles
from libs.common.settings import CommonSettings
from services.admin_api.api.routes.auth import check_password_policy
from services.admin_api.errors import FieldErrors
from services.admin_api.permissions import ALL_PERMISSIONS
from services.admin_api.security import hash_password
from services.admin_api.settings import AdminSettings

ROOT_ORG_CODE = "HQ"
ROOT_ORG_NAME = "总部"
ADMIN_ROLE_CODE = "administrator"
ADMIN_ROLE_NAME = "系统管理员 · administrator"


class AdminNotCreated(Exception):
    """The administrator was not created; the message says why, for the operator."""


@dataclass(frozen=True)
class CreatedAdmin:
    """What ``create-admin`` made."""

    user_id: int
    username: str
    org_code: str
    role_code: str


def check_password(password: str) -> None:
    """The admin API's password policy; raises :class:`AdminNotCreated` naming the rule."""
    min_length = AdminSettings().min_password_length
    try:
        check_password_policy(password, min_length, "password")
    except FieldErrors:
        raise AdminNotCreated(
            f"password too weak: at least {min_length} characters mixing letters, digits or symbols"
        ) from None


async def create_admin(
    settings: CommonSettings, username: str, password: str, *, display_name: str = ""
) -> CreatedAdmin:
    """Migrate the database, then create ``username`` as an administrator of the root org."""
    username = username.strip()
    if not username or len(username) > 64:
        raise AdminNotCreated("username must be 1 to 64 characters")
    check_password(password)
    await upgrade_async(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            return await _create(session, username, password, display_name or username)
    finally:
        await engine.dispose()


async def _create(
    session: AsyncSession, username: str, password: str, display_name: str
) -> CreatedAdmin:
    if await session.scalar(select(AdminUser.id).where(AdminUser.username == username)):
        raise AdminNotCreated(
            f"user {username!r} already exists (reset passwords in the admin app)"
        )
    org = await _root_org(session)
    role = await session.scalar(select(Role).where(Role.code == ADMIN_ROLE_CODE))
    if role is None:
        role = Role(
            code=ADMIN_ROLE_CODE,
            name=ADMIN_ROLE_NAME,
            org_id=org.id,
            permissions=sorted(ALL_PERMISSIONS),
        )
        session.add(role)
        await session.flush()
    user = AdminUser(
        username=username,
        display_name=display_name,
        org_id=org.id,
        password_hash=hash_password(password),
    )
    session.add(user)
    await session.flush()
    await session.execute(insert(user_roles).values(user_id=user.id, role_id=role.id))
    session.add(
        AuditEntry(
            username="wxhub create-admin",
            action="create",
            entity="user",
            entity_id=str(user.id),
            after={"username": username, "org": org.code, "roles": [role.code]},
        )
    )
    return CreatedAdmin(user_id=user.id, username=username, org_code=org.code, role_code=role.code)


async def _root_org(session: AsyncSession) -> Org:
    """The first top-level organisation, created when the database has none."""
    org = await session.scalar(select(Org).where(Org.parent_id.is_(None)).order_by(Org.id))
    if org is not None:
        return org
    org = Org(code=ROOT_ORG_CODE, name=ROOT_ORG_NAME, parent_id=None)
    session.add(org)
    await session.flush()
    org.path = f"/{org.id}/"
    await session.flush()
    return org
