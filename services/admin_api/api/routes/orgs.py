"""Organisations: head office → branches → sub-branches (R-AD-1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from libs.common.db.models import Org
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep
from services.admin_api.api.models import MAX_ID, Deleted, IdPath, ReadModel, WriteModel
from services.admin_api.audit import record, snapshot
from services.admin_api.errors import Conflict, PermissionDenied
from services.admin_api.listing import ListQuery, Page
from services.admin_api.repositories import orgs, rows
from services.admin_api.scope import org_in_scope

router = APIRouter(prefix="/api/v1/orgs", tags=["orgs 机构"])


class OrgCreate(WriteModel):
    """A new organisation under ``parent_id``."""

    code: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="机构代码 · organisation code",
    )
    name: str = Field(min_length=1, max_length=128, description="机构名称 · name")
    parent_id: int = Field(ge=1, le=MAX_ID, description="上级机构 ID · parent organisation id")


class OrgUpdate(WriteModel):
    """Rename an organisation."""

    name: str | None = Field(None, min_length=1, max_length=128, description="机构名称 · name")


class OrgMove(WriteModel):
    """Where to move an organisation (with its whole subtree)."""

    parent_id: int = Field(
        ge=1, le=MAX_ID, description="新上级机构 ID · new parent organisation id"
    )


class OrgRead(ReadModel):
    """An organisation."""

    id: int = Field(description="机构 ID · id")
    code: str = Field(description="机构代码 · code")
    name: str = Field(description="机构名称 · name")
    parent_id: int | None = Field(
        ge=1, le=MAX_ID, description="上级机构 ID · parent id (null: head office)"
    )
    path: str = Field(description="机构路径 · materialised path")


class OrgNode(OrgRead):
    """An organisation with its children."""

    children: list[OrgNode] = Field(default_factory=list, description="下级机构 · children")


async def load_org(org_id: IdPath, principal: CurrentUser, session: SessionDep) -> Org:
    """The organisation in the path, within the caller's scope."""
    return await org_in_scope(session, principal, org_id)


ScopedOrg = Annotated[Org, Depends(load_org)]


@router.get(
    "",
    response_model=Page[OrgRead],
    dependencies=[Perm("org.read")],
    summary="机构列表 · list organisations",
)
async def list_orgs(
    principal: CurrentUser,
    session: SessionDep,
    params: ListQuery,
    parent_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="上级机构 · parent id")
    ] = None,
) -> Page[OrgRead]:
    """Organisations in the caller's subtree."""
    items, total = await orgs.list_orgs(
        session, principal=principal, params=params, parent_id=parent_id
    )
    return Page[OrgRead].of([OrgRead.model_validate(o) for o in items], total, params)


@router.get(
    "/tree",
    response_model=list[OrgNode],
    dependencies=[Perm("org.read")],
    summary="机构树 · organisation tree",
)
async def org_tree(principal: CurrentUser, session: SessionDep) -> list[OrgNode]:
    """The caller's subtree as nested nodes."""
    visible = await orgs.list_visible(session, principal=principal)
    nodes = {o.id: OrgNode.model_validate(o) for o in visible}
    roots: list[OrgNode] = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id) if node.parent_id is not None else None
        (parent.children if parent else roots).append(node)
    return roots


@router.post(
    "",
    response_model=OrgRead,
    status_code=201,
    dependencies=[Perm("org.manage")],
    summary="新建机构 · create organisation",
)
async def create_org(body: OrgCreate, principal: CurrentUser, session: SessionDep) -> OrgRead:
    """Create an organisation below one in the caller's subtree."""
    parent = await org_in_scope(session, principal, body.parent_id)
    org = await orgs.create(session, parent=parent, code=body.code, name=body.name)
    await record(session, principal, "org.create", "org", org.id, after=snapshot(org))
    return OrgRead.model_validate(org)


@router.get(
    "/{org_id}",
    response_model=OrgRead,
    dependencies=[Perm("org.read")],
    summary="机构详情 · get organisation",
)
async def get_org(org: ScopedOrg) -> OrgRead:
    """One organisation."""
    return OrgRead.model_validate(org)


@router.patch(
    "/{org_id}",
    response_model=OrgRead,
    dependencies=[Perm("org.manage")],
    summary="修改机构 · update organisation",
)
async def update_org(
    org: ScopedOrg, body: OrgUpdate, principal: CurrentUser, session: SessionDep
) -> OrgRead:
    """Rename an organisation."""
    before = snapshot(org)
    await rows.update(session, org, {"name": body.name} if body.name is not None else {})
    await record(
        session, principal, "org.update", "org", org.id, before=before, after=snapshot(org)
    )
    return OrgRead.model_validate(org)


@router.delete(
    "/{org_id}",
    response_model=Deleted,
    dependencies=[Perm("org.manage")],
    summary="删除机构 · delete organisation",
)
async def delete_org(org: ScopedOrg, principal: CurrentUser, session: SessionDep) -> Deleted:
    """Delete an empty organisation (no children, no users); never one's own."""
    if org.id == principal.org_id or org.parent_id is None:
        raise Conflict("cannot delete your own organisation or the head office")
    if await orgs.is_in_use(session, org_id=org.id):
        raise Conflict("organisation still has sub-organisations or users")
    before = snapshot(org)
    await rows.delete(session, org)
    await record(session, principal, "org.delete", "org", org.id, before=before)
    return Deleted(id=str(org.id))


# Org.path is a String(512): a move must not push any descendant's path beyond it.
_MAX_PATH = 512


@router.post(
    "/{org_id}/move",
    response_model=OrgRead,
    dependencies=[Perm("org.manage")],
    summary="调整上级机构 · move organisation",
)
async def move_org(
    org: ScopedOrg, body: OrgMove, principal: CurrentUser, session: SessionDep
) -> OrgRead:
    """Move an organisation and its subtree under another parent (head office only); data scope
    follows at once, since it is derived from the materialised paths."""
    if not principal.is_head_office:
        raise PermissionDenied("only the head office re-parents organisations")
    # Moves are serialised on the root row, so two concurrent moves cannot build a cycle from
    # paths each read before the other wrote; both ends are re-read under the lock.
    await orgs.lock_tree(session)
    await rows.reload(session, org)
    if org.parent_id is None:
        raise Conflict("the head office has no parent to change")
    parent = await org_in_scope(session, principal, body.parent_id)
    await rows.reload(session, parent)
    if parent.path.startswith(org.path):
        raise Conflict(
            "an organisation cannot move under itself or its own sub-organisation",
            parent_id=parent.id,
        )
    if parent.id == org.parent_id:
        return OrgRead.model_validate(org)
    old_path, new_path = org.path, f"{parent.path}{org.id}/"
    subtree = await orgs.list_subtree(session, path=old_path)
    if any(len(new_path) + len(o.path) - len(old_path) > _MAX_PATH for o in subtree):
        raise Conflict("the organisation tree would become too deep")
    before = snapshot(org)
    for node in subtree:
        node.path = new_path + node.path[len(old_path) :]
    await rows.update(session, org, {"parent_id": parent.id})
    await record(
        session,
        principal,
        "org.move",
        "org",
        org.id,
        before=before,
        after={**(snapshot(org) or {}), "moved_descendants": len(subtree) - 1},
    )
    return OrgRead.model_validate(org)
