"""Customers (followers of an account), their segmentation profiles and hand-overs."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Account, Customer, CustomerProfile, Handover, Org
from services.admin_api.audience import CustomerFilter, customer_query
from services.admin_api.listing import ListParams, paginate
from services.admin_api.scope import Principal

_SORT = {
    "id": Customer.id,
    "last_interaction_at": Customer.last_interaction_at,
    "subscribed_at": Customer.subscribed_at,
}


async def list_customers(
    session: AsyncSession,
    *,
    principal: Principal,
    flt: CustomerFilter,
    params: ListParams,
    customer_no_tokens: Collection[str] = (),
) -> tuple[list[Customer], int]:
    """One page of the customers of the accounts the caller sees (only those whose customer
    number has one of ``customer_no_tokens``, when given)."""
    stmt = customer_query(flt).where(await principal.account_clause(session, Customer.account_id))
    if customer_no_tokens:
        stmt = stmt.where(Customer.customer_no_token.in_(list(customer_no_tokens)))
    return await paginate(
        session, stmt, params, sortable=_SORT, default_sort=[Customer.id], search=[Customer.openid]
    )


async def count_customers(
    session: AsyncSession, *, principal: Principal, flt: CustomerFilter
) -> int:
    """How many customers of the accounts the caller sees the filter selects."""
    stmt = customer_query(flt).where(await principal.account_clause(session, Customer.account_id))
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    return int(total or 0)


async def list_profiles(
    session: AsyncSession, *, customer_ids: list[int]
) -> dict[int, CustomerProfile]:
    """The profiles of these customers, by customer id (customers without one are absent)."""
    profiles = await session.scalars(
        select(CustomerProfile).where(CustomerProfile.customer_id.in_(customer_ids))
    )
    return {p.customer_id: p for p in profiles}


async def get_account_org(session: AsyncSession, *, account_id: int) -> tuple[Account, Org | None]:
    """The customer's account and the organisation owning it (None: unowned)."""
    account = await session.get(Account, account_id)
    assert account is not None  # the foreign key guarantees it
    org = await session.get(Org, account.org_id) if account.org_id is not None else None
    return account, org


async def get_head_office_account(
    session: AsyncSession, *, account_id: int | None
) -> Account | None:
    """An enabled account owned by the head office: ``account_id`` if it is one, or the first."""
    owned_by_root = Account.org_id.in_(select(Org.id).where(Org.parent_id.is_(None)))
    stmt = select(Account).where(owned_by_root, Account.enabled.is_(True)).order_by(Account.id)
    if account_id is not None:
        stmt = stmt.where(Account.id == account_id)
    return await session.scalar(stmt.limit(1))


async def list_handovers(
    session: AsyncSession, *, customer_id: int, params: ListParams
) -> tuple[list[Handover], int]:
    """One page of the customer's hand-overs, newest first by default."""
    return await paginate(
        session,
        select(Handover).where(Handover.customer_id == customer_id),
        params,
        sortable={"id": Handover.id, "created_at": Handover.created_at},
        default_sort=[Handover.id.desc()],
    )
