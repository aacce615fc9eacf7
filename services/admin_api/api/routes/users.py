"""Admin users: create, edit, disable, assign roles, reset passwords, unlock (R-AD-1)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from libs.common.db.models import AdminUser, Role, utcnow
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import MAX_ID, Deleted, IdPath, ReadModel, WriteModel
from services.admin_api.api.routes.auth import check_password_policy
from services.admin_api.api.routes.roles import check_grantable
from services.admin_api.audit import record, snapshot
from services.admin_api.errors import Conflict
from services.admin_api.listing import ListQuery, Page
from services.admin_api.repositories import auth_sessions, rows, users
from services.admin_api.scope import Principal, by_org, org_in_scope
from services.admin_api.security import hash_password

router = APIRouter(prefix="/api/v1/users", tags=["users 用户"])


class UserCreate(WriteModel):
    """A new user."""

    username: str = Field(
        min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$", description="用户名 · username"
    )
    display_name: str = Field("", max_length=128, description="显示名 · display name")
    password: str = Field(max_length=256, description="初始密码 · initial password")
    org_id: int = Field(ge=1, le=MAX_ID, description="所属机构 · organisation")
    role_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=50, description="角色 · role ids"
    )


class UserUpdate(WriteModel):
    """Changes to a user."""

    display_name: str | None = Field(None, max_length=128, description="显示名 · display name")
    org_id: int | None = Field(None, ge=1, le=MAX_ID, description="所属机构 · organisation")
    is_active: bool | None = Field(None, description="是否启用 · enabled")
    role_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None, max_length=50, description="角色 · role ids"
    )


class PasswordReset(WriteModel):
    """An administrator sets a new password."""

    password: str = Field(max_length=256, description="新密码 · new password")


class UserRead(ReadModel):
    """A user (never the password hash)."""

    id: int = Field(description="用户 ID · id")
    username: str = Field(description="用户名 · username")
    display_name: str = Field(description="显示名 · display name")
    org_id: int = Field(ge=1, le=MAX_ID, description="所属机构 · organisation")
    is_active: bool = Field(description="是否启用 · enabled")
    locked: bool = Field(False, description="是否锁定 · locked out")
    role_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, description="角色 · role ids"
    )


async def _read(session: SessionDep, user: AdminUser) -> UserRead:
    read = UserRead.model_validate(user)
    read.role_ids = await users.list_role_ids(session, user_id=user.id)
    read.locked = bool(user.locked_until and user.locked_until > utcnow())
    return read


async def _set_roles(
    session: SessionDep, principal: Principal, user: AdminUser, role_ids: list[int]
) -> None:
    granted: list[int] = []
    for role_id in sorted(set(role_ids)):
        role = await by_org(session, principal, Role, role_id, "role")
        check_grantable(principal, list(role.permissions))
        granted.append(role.id)
    await users.replace_roles(session, user_id=user.id, role_ids=granted)


async def load_user(user_id: IdPath, principal: CurrentUser, session: SessionDep) -> AdminUser:
    """The user in the path, within the caller's scope."""
    return await by_org(session, principal, AdminUser, user_id, "user")


ScopedUser = Annotated[AdminUser, Depends(load_user)]


@router.get(
    "",
    response_model=Page[UserRead],
    dependencies=[Perm("user.read")],
    summary="用户列表 · list users",
)
async def list_users(
    principal: CurrentUser,
    session: SessionDep,
    params: ListQuery,
    org_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="所属机构 · organisation")
    ] = None,
    is_active: Annotated[bool | None, Query(description="是否启用 · enabled")] = None,
) -> Page[UserRead]:
    """Users of the caller's subtree."""
    items, total = await users.list_users(
        session, principal=principal, params=params, org_id=org_id, is_active=is_active
    )
    return Page[UserRead].of([await _read(session, u) for u in items], total, params)


@router.post(
    "",
    response_model=UserRead,
    status_code=201,
    dependencies=[Perm("user.manage")],
    summary="新建用户 · create user",
)
async def create_user(
    body: UserCreate, principal: CurrentUser, session: SessionDep, state: StateDep
) -> UserRead:
    """Create a user in the caller's subtree with roles the caller could hold."""
    await org_in_scope(session, principal, body.org_id)
    check_password_policy(body.password, state.settings.min_password_length, "body.password")
    if await users.get_by_username(session, username=body.username) is not None:
        raise Conflict(f"username {body.username!r} is taken")
    user = await rows.add(
        session,
        AdminUser(
            username=body.username,
            display_name=body.display_name,
            password_hash=hash_password(body.password),
            org_id=body.org_id,
            password_changed_at=utcnow(),
        ),
    )
    await _set_roles(session, principal, user, body.role_ids)
    read = await _read(session, user)
    await record(
        session,
        principal,
        "user.create",
        "user",
        user.id,
        after={**(snapshot(user) or {}), "role_ids": read.role_ids},
    )
    return read


@router.get(
    "/{user_id}",
    response_model=UserRead,
    dependencies=[Perm("user.read")],
    summary="用户详情 · get user",
)
async def get_user(user: ScopedUser, session: SessionDep) -> UserRead:
    """One user."""
    return await _read(session, user)


@router.patch(
    "/{user_id}",
    response_model=UserRead,
    dependencies=[Perm("user.manage")],
    summary="修改用户 · update user",
)
async def update_user(
    user: ScopedUser, body: UserUpdate, principal: CurrentUser, session: SessionDep
) -> UserRead:
    """Change a user's name, organisation, roles or enabled flag (disabling ends sessions)."""
    before = {**(snapshot(user) or {}), "role_ids": (await _read(session, user)).role_ids}
    if user.id == principal.user_id and (body.org_id is not None or body.role_ids is not None):
        raise Conflict("you cannot change your own organisation or roles")
    changes: dict[str, Any] = {}
    if body.org_id is not None:
        await org_in_scope(session, principal, body.org_id)
        changes["org_id"] = body.org_id
    if body.display_name is not None:
        changes["display_name"] = body.display_name
    if body.is_active is not None:
        if user.id == principal.user_id and not body.is_active:
            raise Conflict("you cannot disable yourself")
        changes["is_active"] = body.is_active
        if not body.is_active:
            await auth_sessions.revoke_all_of_user(session, user_id=user.id)
    if body.role_ids is not None:
        await _set_roles(session, principal, user, body.role_ids)
    await rows.update(session, user, changes)
    read = await _read(session, user)
    await record(
        session,
        principal,
        "user.update",
        "user",
        user.id,
        before=before,
        after={**(snapshot(user) or {}), "role_ids": read.role_ids},
    )
    return read


@router.post(
    "/{user_id}/password",
    status_code=204,
    dependencies=[Perm("user.manage")],
    summary="重置密码 · reset password",
)
async def reset_password(
    user: ScopedUser,
    body: PasswordReset,
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
) -> None:
    """Set a new password, clear the lock-out and end the user's sessions (not for oneself:
    that is ``/auth/password``, which asks for the current password)."""
    if user.id == principal.user_id:
        raise Conflict("change your own password at /api/v1/auth/password")
    check_password_policy(body.password, state.settings.min_password_length, "body.password")
    user.password_hash = hash_password(body.password)
    user.password_changed_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    await auth_sessions.revoke_all_of_user(session, user_id=user.id)
    await record(session, principal, "user.password_reset", "user", user.id)


@router.post(
    "/{user_id}/unlock",
    response_model=UserRead,
    dependencies=[Perm("user.manage")],
    summary="解除锁定 · unlock user",
)
async def unlock_user(user: ScopedUser, principal: CurrentUser, session: SessionDep) -> UserRead:
    """Lift a lock-out after failed logins."""
    await rows.update(session, user, {"failed_logins": 0, "locked_until": None})
    await record(session, principal, "user.unlock", "user", user.id)
    return await _read(session, user)


@router.delete(
    "/{user_id}",
    response_model=Deleted,
    dependencies=[Perm("user.manage")],
    summary="删除用户 · delete user",
)
async def delete_user(user: ScopedUser, principal: CurrentUser, session: SessionDep) -> Deleted:
    """Delete a user (not oneself); their audit entries stay."""
    if user.id == principal.user_id:
        raise Conflict("you cannot delete yourself")
    before = snapshot(user)
    # A user who authored publications stays (RESTRICT → 409 through the IntegrityError handler).
    await rows.delete(session, user)
    await record(session, principal, "user.delete", "user", user.id, before=before)
    return Deleted(id=str(user.id))
