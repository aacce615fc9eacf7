"""Finding customers: search with filters and pagination, and the live count of a filter."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from libs.common.customer_numbers import tokens_of
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import MAX_ID
from services.admin_api.api.routes.customers.access import customers_router, to_read
from services.admin_api.api.schemas.customers import Binding, CountRead, CustomerRead
from services.admin_api.audience import CustomerFilter
from services.admin_api.listing import ListQuery, Page
from services.admin_api.repositories import customers

router = customers_router()


async def customer_filter(
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


@router.get(
    "",
    response_model=Page[CustomerRead],
    dependencies=[Perm("customer.read")],
    summary="客户搜索 · search customers",
)
async def search_customers(
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
    params: ListQuery,
    filters: FilterDep,
    customer_no: Annotated[
        str | None, Query(max_length=32, description="客户号（精确） · customer number (exact)")
    ] = None,
) -> Page[CustomerRead]:
    """Customers of the accounts the caller sees; ``q`` searches openids."""
    items, total = await customers.list_customers(
        session,
        principal=principal,
        flt=filters,
        params=params,
        customer_no_tokens=tokens_of(state.secret_box, [customer_no]) if customer_no else (),
    )
    profiles = await customers.list_profiles(session, customer_ids=[c.id for c in items])
    return Page[CustomerRead].of(
        [to_read(c, profiles.get(c.id), state.secret_box) for c in items], total, params
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
    total = await customers.count_customers(session, principal=principal, flt=filters)
    return CountRead(count=total)
