"""Customers (R-AD-10): search and filter with pagination; segmentation profile editing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from libs.common.db.models import Customer, CustomerProfile
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep
from services.admin_api.api.models import MAX_ID, IdPath, WriteModel
from services.admin_api.audience import CustomerFilter, customer_query, mask_customer_no
from services.admin_api.audit import record, snapshot
from services.admin_api.listing import ListQuery, Page, paginate
from services.admin_api.scope import by_account

router = APIRouter(prefix="/api/v1/customers", tags=["customers 客户"])

Binding = Literal["unbound", "bound", "suspended"]


class CustomerRead(BaseModel):
    """A follower with the segmentation profile; the customer number is masked."""

    id: int = Field(description="ID · id")
    account_id: int = Field(ge=1, le=MAX_ID, description="公众号 ID · account id")
    openid: str = Field(description="OpenID")
    subscribed: bool = Field(description="是否关注 · following")
    binding_state: str = Field(description="绑定状态 · binding state")
    customer_no: str | None = Field(description="客户号（脱敏） · customer number (masked)")
    category: str = Field(description="客户类别 · category")
    region: str = Field(description="地区 · region")
    occupation: str = Field(description="职业 · occupation")
    tags: list[str] = Field(description="标签 · tags")
    subscriptions: list[str] = Field(description="订阅的服务 · subscriptions")
    last_interaction_at: datetime | None = Field(description="最近互动 · last interaction")


class ProfileUpdate(WriteModel):
    """Segmentation data of a customer."""

    category: str | None = Field(None, max_length=32, description="客户类别 · category")
    region: str | None = Field(None, max_length=64, description="地区 · region")
    occupation: str | None = Field(None, max_length=64, description="职业 · occupation")
    tags: list[Annotated[str, Field(max_length=32)]] | None = Field(
        None, max_length=50, description="标签 · tags"
    )
    subscriptions: list[Annotated[str, Field(max_length=64)]] | None = Field(
        None, max_length=50, description="订阅的服务 · subscriptions"
    )


class CountRead(BaseModel):
    """How many customers match."""

    count: int = Field(description="人数 · number of customers")


def to_read(customer: Customer, profile: CustomerProfile | None) -> CustomerRead:
    """The API view of a customer."""
    return CustomerRead(
        id=customer.id,
        account_id=customer.account_id,
        openid=customer.openid,
        subscribed=customer.subscribed,
        binding_state=customer.binding_state,
        customer_no=mask_customer_no(customer.customer_no),
        category=profile.category if profile else "",
        region=profile.region if profile else "",
        occupation=profile.occupation if profile else "",
        tags=list(profile.tags) if profile else [],
        subscriptions=list(profile.subscriptions) if profile else [],
        last_interaction_at=customer.last_interaction_at,
    )


def customer_filter(
    account_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="公众号 ID · account id")
    ] = None,
    category: Annotated[str | None, Query(max_length=32, description="客户类别 · category")] = None,
    region: Annotated[str | None, Query(max_length=64, description="地区 · region")] = None,
    occupation: Annotated[str | None, Query(max_length=64, description="职业 · occupation")] = None,
    tag: Annotated[str | None, Query(max_length=32, description="标签 · tag")] = None,
    binding_state: Annotated[Binding | None, Query(description="绑定状态 · binding")] = None,
    subscribed: Annotated[bool | None, Query(description="是否关注 · following")] = None,
) -> CustomerFilter:
    """The filter query parameters shared by search and count."""
    return CustomerFilter(account_id, category, region, occupation, tag, binding_state, subscribed)


FilterDep = Annotated[CustomerFilter, Depends(customer_filter)]
_SORT = {
    "id": Customer.id,
    "last_interaction_at": Customer.last_interaction_at,
    "subscribed_at": Customer.subscribed_at,
}


@router.get(
    "",
    response_model=Page[CustomerRead],
    dependencies=[Perm("customer.read")],
    summary="客户搜索 · search customers",
)
async def search_customers(
    principal: CurrentUser,
    session: SessionDep,
    params: ListQuery,
    filters: FilterDep,
    customer_no: Annotated[
        str | None, Query(max_length=32, description="客户号（精确） · customer number (exact)")
    ] = None,
) -> Page[CustomerRead]:
    """Customers of the accounts the caller sees; ``q`` searches openids."""
    stmt = customer_query(filters).where(
        await principal.account_clause(session, Customer.account_id)
    )
    if customer_no:
        stmt = stmt.where(Customer.customer_no == customer_no)
    items, total = await paginate(
        session, stmt, params, sortable=_SORT, default_sort=[Customer.id], search=[Customer.openid]
    )
    profiles = {
        p.customer_id: p
        for p in await session.scalars(
            select(CustomerProfile).where(CustomerProfile.customer_id.in_([c.id for c in items]))
        )
    }
    return Page[CustomerRead](
        items=[to_read(c, profiles.get(c.id)) for c in items],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )


@router.get(
    "/count",
    response_model=CountRead,
    dependencies=[Perm("customer.read")],
    summary="客户计数 · count customers",
)
async def count_customers(
    principal: CurrentUser, session: SessionDep, filters: FilterDep
) -> CountRead:
    """How many customers match (the live audience count before a mass send)."""
    stmt = customer_query(filters).where(
        await principal.account_clause(session, Customer.account_id)
    )
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    return CountRead(count=int(total or 0))


async def load_customer(
    customer_id: IdPath, principal: CurrentUser, session: SessionDep
) -> Customer:
    """The customer in the path, within the caller's scope."""
    return await by_account(session, principal, Customer, customer_id, "customer")


ScopedCustomer = Annotated[Customer, Depends(load_customer)]


@router.get(
    "/{customer_id}",
    response_model=CustomerRead,
    dependencies=[Perm("customer.read")],
    summary="客户详情 · get customer",
)
async def get_customer(customer: ScopedCustomer, session: SessionDep) -> CustomerRead:
    """One customer (customer number masked)."""
    return to_read(customer, await session.get(CustomerProfile, customer.id))


@router.patch(
    "/{customer_id}",
    response_model=CustomerRead,
    dependencies=[Perm("customer.edit")],
    summary="修改客户分群信息 · update customer profile",
)
async def update_customer(
    customer: ScopedCustomer, body: ProfileUpdate, principal: CurrentUser, session: SessionDep
) -> CustomerRead:
    """Set category, region, occupation, tags and subscriptions."""
    profile = await session.get(CustomerProfile, customer.id)
    before = snapshot(profile)
    if profile is None:
        profile = CustomerProfile(customer_id=customer.id, tags=[], subscriptions=[])
        session.add(profile)
    for key, value in body.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(profile, key, value)
    await session.flush()
    await record(
        session,
        principal,
        "customer.update",
        "customer",
        customer.id,
        before=before,
        after=snapshot(profile),
    )
    return to_read(customer, profile)
