"""Saved audiences (保存的受众, R-AD-6): named customer filters of an account that group and mass
sends target; their members are resolved when the send goes out, not when it is drafted."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from libs.common.db.models import SavedAudience
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep
from services.admin_api.api.models import MAX_ID, Deleted, IdPath, ReadModel, WriteModel
from services.admin_api.audience import CustomerFilter
from services.admin_api.audit import record, snapshot
from services.admin_api.errors import Conflict
from services.admin_api.listing import ListQuery, Page
from services.admin_api.repositories import audiences, rows
from services.admin_api.scope import account_in_scope, by_org

router = APIRouter(prefix="/api/v1/audiences", tags=["audiences 受众"])


class AudienceCriteria(WriteModel):
    """Who belongs to the audience; omitted criteria match everybody, list criteria need every
    listed element."""

    category: str | None = Field(None, max_length=32, description="客户类别 · category")
    region: str | None = Field(None, max_length=64, description="地区 · region")
    occupation: str | None = Field(None, max_length=64, description="职业 · occupation")
    tags: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        default_factory=list, max_length=20, description="全部标签 · has all these tags"
    )
    subscriptions: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list,
        max_length=20,
        description="全部订阅服务 · subscribes to all these services",
    )
    binding_state: Literal["unbound", "bound", "suspended"] | None = Field(
        None, description="绑定状态 · binding state"
    )
    subscribed: bool | None = Field(
        None,
        description="是否关注（发送时总是只发给关注者） · following (sends reach followers only)",
    )


class AudienceCreate(WriteModel):
    """A new saved audience of an account."""

    account_id: int = Field(ge=1, le=MAX_ID, description="公众号 ID · account id")
    name: str = Field(min_length=1, max_length=128, description="名称 · name")
    description: str = Field("", max_length=1000, description="说明 · description")
    criteria: AudienceCriteria = Field(
        default_factory=AudienceCriteria, description="筛选条件 · criteria"
    )


class AudienceUpdate(WriteModel):
    """Changes to a saved audience (its account is fixed)."""

    name: str | None = Field(None, min_length=1, max_length=128, description="名称 · name")
    description: str | None = Field(None, max_length=1000, description="说明 · description")
    criteria: AudienceCriteria | None = Field(None, description="筛选条件 · criteria")


class AudiencePreview(WriteModel):
    """Criteria to count before saving them."""

    account_id: int = Field(ge=1, le=MAX_ID, description="公众号 ID · account id")
    criteria: AudienceCriteria = Field(
        default_factory=AudienceCriteria, description="筛选条件 · criteria"
    )


class AudienceRead(ReadModel):
    """A saved audience."""

    id: int = Field(description="ID · id")
    org_id: int = Field(ge=1, le=MAX_ID, description="所属机构 · org")
    account_id: int = Field(ge=1, le=MAX_ID, description="公众号 ID · account id")
    name: str = Field(description="名称 · name")
    description: str = Field(description="说明 · description")
    criteria: AudienceCriteria = Field(description="筛选条件 · criteria")
    author_id: int | None = Field(ge=1, le=MAX_ID, description="创建人 · author")
    created_at: datetime = Field(description="创建时间 · created at")
    updated_at: datetime = Field(description="更新时间 · updated at")


class AudienceCount(BaseModel):
    """The live size of an audience."""

    matching: int = Field(description="符合条件的客户数 · customers matching the criteria")
    reachable: int = Field(
        description="其中关注中的（发送可达） · of them following (a send reaches)"
    )


async def count_audience(
    session: SessionDep, account_id: int, criteria: AudienceCriteria
) -> AudienceCount:
    """How many customers match now, and how many of them a send would reach."""
    flt = CustomerFilter.from_criteria(account_id, criteria.model_dump())

    following = dataclasses.replace(flt, subscribed=True)
    return AudienceCount(
        matching=await audiences.count_customers(session, flt=flt),
        reachable=0
        if flt.subscribed is False
        else await audiences.count_customers(session, flt=following),
    )


async def load_audience(
    audience_id: IdPath, principal: CurrentUser, session: SessionDep
) -> SavedAudience:
    """The saved audience in the path, within the caller's scope (its org and its account)."""
    audience = await by_org(session, principal, SavedAudience, audience_id, "audience")
    await account_in_scope(session, principal, audience.account_id)
    return audience


ScopedAudience = Annotated[SavedAudience, Depends(load_audience)]


async def _in_use(session: SessionDep, audience: SavedAudience) -> None:
    # A publication in review was checked against the audience's current definition, so that
    # definition may not change (or vanish) under it.
    if await audiences.is_targeted_in_review_or_sending(session, audience_id=audience.id):
        raise Conflict(
            "a publication in review or being sent targets this audience",
            audience_id=audience.id,
        )


@router.get(
    "",
    response_model=Page[AudienceRead],
    dependencies=[Perm("content.read")],
    summary="受众列表 · list saved audiences",
)
async def list_audiences(
    principal: CurrentUser,
    session: SessionDep,
    params: ListQuery,
    account_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="公众号 ID · account id")
    ] = None,
) -> Page[AudienceRead]:
    """Saved audiences of the caller's subtree on accounts the caller sees; ``q`` searches names."""
    items, total = await audiences.list_audiences(
        session, principal=principal, params=params, account_id=account_id
    )
    return Page[AudienceRead].of([AudienceRead.model_validate(a) for a in items], total, params)


@router.post(
    "",
    response_model=AudienceRead,
    status_code=201,
    dependencies=[Perm("content.submit")],
    summary="新建受众 · create saved audience",
)
async def create_audience(
    body: AudienceCreate, principal: CurrentUser, session: SessionDep
) -> AudienceRead:
    """Save a named filter for an account the caller may publish to."""
    await account_in_scope(session, principal, body.account_id)
    audience = await rows.add(
        session,
        SavedAudience(
            org_id=principal.org_id,
            account_id=body.account_id,
            name=body.name,
            description=body.description,
            criteria=body.criteria.model_dump(exclude_defaults=True),
            author_id=principal.user_id,
        ),
    )
    await record(
        session, principal, "audience.create", "audience", audience.id, after=snapshot(audience)
    )
    return AudienceRead.model_validate(audience)


@router.post(
    "/preview",
    response_model=AudienceCount,
    dependencies=[Perm("content.read")],
    summary="受众预估人数 · count criteria before saving",
)
async def preview_audience(
    body: AudiencePreview, principal: CurrentUser, session: SessionDep
) -> AudienceCount:
    """The live count of unsaved criteria (nothing is written)."""
    await account_in_scope(session, principal, body.account_id)
    return await count_audience(session, body.account_id, body.criteria)


@router.get(
    "/{audience_id}",
    response_model=AudienceRead,
    dependencies=[Perm("content.read")],
    summary="受众详情 · get saved audience",
)
async def get_audience(audience: ScopedAudience) -> AudienceRead:
    """One saved audience."""
    return AudienceRead.model_validate(audience)


@router.get(
    "/{audience_id}/count",
    response_model=AudienceCount,
    dependencies=[Perm("content.read")],
    summary="受众实时人数 · live count",
)
async def get_audience_count(audience: ScopedAudience, session: SessionDep) -> AudienceCount:
    """How many customers the audience holds right now."""
    return await count_audience(
        session, audience.account_id, AudienceCriteria.model_validate(audience.criteria)
    )


@router.patch(
    "/{audience_id}",
    response_model=AudienceRead,
    dependencies=[Perm("content.submit")],
    summary="修改受众 · update saved audience",
)
async def update_audience(
    audience: ScopedAudience, body: AudienceUpdate, principal: CurrentUser, session: SessionDep
) -> AudienceRead:
    """Rename or redefine; the criteria are frozen while a publication in review targets it."""
    before = snapshot(audience)
    given = body.model_dump(exclude_unset=True)
    changes = {k: given[k] for k in ("name", "description") if given.get(k) is not None}
    if body.criteria is not None:
        await _in_use(session, audience)
        changes["criteria"] = body.criteria.model_dump(exclude_defaults=True)
    await rows.update(session, audience, changes)
    await record(
        session,
        principal,
        "audience.update",
        "audience",
        audience.id,
        before=before,
        after=snapshot(audience),
    )
    return AudienceRead.model_validate(audience)


@router.delete(
    "/{audience_id}",
    response_model=Deleted,
    dependencies=[Perm("content.submit")],
    summary="删除受众 · delete saved audience",
)
async def delete_audience(
    audience: ScopedAudience, principal: CurrentUser, session: SessionDep
) -> Deleted:
    """Delete an audience no publication in review or being sent targets."""
    await _in_use(session, audience)
    before = snapshot(audience)
    await rows.delete(session, audience)
    await record(session, principal, "audience.delete", "audience", audience.id, before=before)
    return Deleted(id=str(audience.id))
