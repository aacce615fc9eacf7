"""Roles and the permission catalogue (R-AD-1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import Field, field_validator

from libs.common.db.models import Role
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep
from services.admin_api.api.models import MAX_ID, Deleted, IdPath, ReadModel, WriteModel
from services.admin_api.audit import record, snapshot
from services.admin_api.errors import Conflict, PermissionDenied
from services.admin_api.listing import ListQuery, Page
from services.admin_api.permissions import ALL_PERMISSIONS, PERMISSIONS
from services.admin_api.repositories import roles, rows
from services.admin_api.scope import Principal, by_org, org_in_scope

router = APIRouter(prefix="/api/v1", tags=["roles 角色"])


def _known(perms: list[str]) -> list[str]:
    unknown = sorted(set(perms) - ALL_PERMISSIONS)
    if unknown:
        raise ValueError(f"unknown permissions: {', '.join(unknown)}")
    return sorted(set(perms))


class RoleCreate(WriteModel):
    """A new role."""

    code: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="角色代码 · role code",
    )
    name: str = Field(min_length=1, max_length=128, description="角色名称 · name")
    description: str = Field("", max_length=1000, description="说明 · description")
    org_id: int = Field(ge=1, le=MAX_ID, description="所属机构 · owning organisation")
    permissions: list[str] = Field(
        default_factory=list, max_length=100, description="权限列表 · permissions"
    )

    _check = field_validator("permissions")(_known)


class RoleUpdate(WriteModel):
    """Changes to a role."""

    name: str | None = Field(None, min_length=1, max_length=128, description="角色名称 · name")
    description: str | None = Field(None, max_length=1000, description="说明 · description")
    permissions: list[str] | None = Field(
        None, max_length=100, description="权限列表 · permissions"
    )

    @field_validator("permissions")
    @classmethod
    def _perms(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _known(value)


class RoleRead(ReadModel):
    """A role."""

    id: int = Field(description="角色 ID · id")
    code: str = Field(description="角色代码 · code")
    name: str = Field(description="角色名称 · name")
    description: str = Field(description="说明 · description")
    org_id: int = Field(ge=1, le=MAX_ID, description="所属机构 · organisation")
    permissions: list[str] = Field(description="权限列表 · permissions")


class PermissionRead(ReadModel):
    """One permission of the catalogue."""

    code: str = Field(description="权限代码 · permission code")
    description: str = Field(description="说明 · meaning")


def check_grantable(principal: Principal, permissions: list[str]) -> None:
    """Nobody hands out permissions they do not hold themselves."""
    missing = sorted(set(permissions) - principal.permissions)
    if missing:
        raise PermissionDenied(f"cannot grant permissions you do not hold: {', '.join(missing)}")


async def load_role(role_id: IdPath, principal: CurrentUser, session: SessionDep) -> Role:
    """The role in the path, within the caller's scope."""
    return await by_org(session, principal, Role, role_id, "role")


ScopedRole = Annotated[Role, Depends(load_role)]


@router.get(
    "/permissions",
    response_model=list[PermissionRead],
    dependencies=[Perm("role.read")],
    summary="权限目录 · permission catalogue",
)
async def list_permissions() -> list[PermissionRead]:
    """Every permission a role can carry."""
    return [PermissionRead(code=c, description=d) for c, d in sorted(PERMISSIONS.items())]


@router.get(
    "/roles",
    response_model=Page[RoleRead],
    dependencies=[Perm("role.read")],
    summary="角色列表 · list roles",
)
async def list_roles(
    principal: CurrentUser, session: SessionDep, params: ListQuery
) -> Page[RoleRead]:
    """Roles owned by organisations in the caller's subtree."""
    items, total = await roles.list_roles(session, principal=principal, params=params)
    return Page[RoleRead].of([RoleRead.model_validate(r) for r in items], total, params)


@router.post(
    "/roles",
    response_model=RoleRead,
    status_code=201,
    dependencies=[Perm("role.manage")],
    summary="新建角色 · create role",
)
async def create_role(body: RoleCreate, principal: CurrentUser, session: SessionDep) -> RoleRead:
    """Create a role carrying only permissions the caller holds."""
    await org_in_scope(session, principal, body.org_id)
    check_grantable(principal, body.permissions)
    role = await rows.add(session, Role(**body.model_dump()))
    await record(session, principal, "role.create", "role", role.id, after=snapshot(role))
    return RoleRead.model_validate(role)


@router.get(
    "/roles/{role_id}",
    response_model=RoleRead,
    dependencies=[Perm("role.read")],
    summary="角色详情 · get role",
)
async def get_role(role: ScopedRole) -> RoleRead:
    """One role."""
    return RoleRead.model_validate(role)


@router.patch(
    "/roles/{role_id}",
    response_model=RoleRead,
    dependencies=[Perm("role.manage")],
    summary="修改角色 · update role",
)
async def update_role(
    role: ScopedRole, body: RoleUpdate, principal: CurrentUser, session: SessionDep
) -> RoleRead:
    """Change a role's name, description or permissions."""
    before = snapshot(role)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "permissions" in changes:
        check_grantable(principal, changes["permissions"])
    await rows.update(session, role, changes)
    await record(
        session, principal, "role.update", "role", role.id, before=before, after=snapshot(role)
    )
    return RoleRead.model_validate(role)


@router.delete(
    "/roles/{role_id}",
    response_model=Deleted,
    dependencies=[Perm("role.manage")],
    summary="删除角色 · delete role",
)
async def delete_role(role: ScopedRole, principal: CurrentUser, session: SessionDep) -> Deleted:
    """Delete a role no user holds."""
    if await roles.is_assigned(session, role_id=role.id):
        raise Conflict("role is still assigned to users")
    before = snapshot(role)
    await rows.delete(session, role)
    await record(session, principal, "role.delete", "role", role.id, before=before)
    return Deleted(id=str(role.id))
