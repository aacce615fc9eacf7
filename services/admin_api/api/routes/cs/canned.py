"""Canned replies: the caller's personal ones and those shared on an account (supervisors)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from libs.common.db.models import CsCannedReply
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep
from services.admin_api.api.models import MAX_ID, IdPath
from services.admin_api.api.routes.cs.access import AGENT, SUPERVISE, cs_router
from services.admin_api.errors import FieldError, FieldErrors, NotFound, PermissionDenied
from services.admin_api.repositories import cs as repo
from services.admin_api.repositories import rows
from services.admin_api.scope import account_in_scope

router = cs_router()


class CannedRead(BaseModel):
    """A canned reply."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int | None
    owner_id: int | None = Field(description="个人话术的所有者 · personal reply's owner")
    title: str
    content: str


class CannedWrite(BaseModel):
    """A new canned reply: personal, or shared on an account (supervisors)."""

    title: str = Field(min_length=1, max_length=64)
    content: str = Field(min_length=1, max_length=2000)
    account_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    personal: bool = Field(default=True, description="个人话术 · personal")


@router.get(
    "/canned-replies",
    response_model=list[CannedRead],
    dependencies=[Perm(AGENT)],
    summary="快捷回复 · canned replies",
)
async def list_canned(
    principal: CurrentUser,
    session: SessionDep,
    account_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="公众号 · account")
    ] = None,
) -> list[CannedRead]:
    """The caller's personal replies and the shared ones of their accounts."""
    found = await repo.list_canned(session, principal=principal, account_id=account_id)
    return [CannedRead.model_validate(r) for r in found]


@router.post(
    "/canned-replies",
    response_model=CannedRead,
    status_code=201,
    dependencies=[Perm(AGENT)],
    summary="新建快捷回复 · add a canned reply",
)
async def add_canned(body: CannedWrite, principal: CurrentUser, session: SessionDep) -> CannedRead:
    """A personal reply, or (supervisors) one shared on an account."""
    if not body.personal:
        if not principal.can(SUPERVISE):
            raise PermissionDenied(f"permission {SUPERVISE!r} required", permission=SUPERVISE)
        if body.account_id is None:
            raise FieldErrors(
                "a shared reply belongs to an account",
                [FieldError("body.account_id", "required for a shared reply", "missing")],
            )
    if body.account_id is not None:
        await account_in_scope(session, principal, body.account_id)
    row = await rows.add(
        session,
        CsCannedReply(
            account_id=body.account_id,
            owner_id=principal.user_id if body.personal else None,
            title=body.title,
            content=body.content,
        ),
    )
    return CannedRead.model_validate(row)


@router.delete(
    "/canned-replies/{reply_id}",
    status_code=204,
    dependencies=[Perm(AGENT)],
    summary="删除快捷回复 · delete a canned reply",
)
async def delete_canned(reply_id: IdPath, principal: CurrentUser, session: SessionDep) -> None:
    """Delete a personal reply of the caller, or (supervisors) a shared one."""
    row = await repo.get_canned(session, reply_id=reply_id)
    mine = row is not None and row.owner_id == principal.user_id
    shared = (
        row is not None
        and row.owner_id is None
        and principal.can(SUPERVISE)
        and (row.account_id is None or await principal.sees_account(session, row.account_id))
    )
    if row is None or not (mine or shared):
        raise NotFound(f"canned reply {reply_id} not found")
    await rows.delete(session, row)
