"""Saved audiences and the live counts of the customers they select."""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Publication, SavedAudience
from services.admin_api.audience import CustomerFilter, customer_query
from services.admin_api.listing import ListParams, paginate
from services.admin_api.publishing.status import IN_REVIEW_OR_SENDING
from services.admin_api.scope import Principal

_SORT = {
    "id": SavedAudience.id,
    "name": SavedAudience.name,
    "created_at": SavedAudience.created_at,
    "updated_at": SavedAudience.updated_at,
}


async def list_audiences(
    session: AsyncSession, *, principal: Principal, params: ListParams, account_id: int | None
) -> tuple[list[SavedAudience], int]:
    """One page of the saved audiences of the caller's subtree on accounts the caller sees."""
    stmt = select(SavedAudience).where(
        principal.org_clause(SavedAudience.org_id),
        await principal.account_clause(session, SavedAudience.account_id),
    )
    if account_id is not None:
        stmt = stmt.where(SavedAudience.account_id == account_id)
    return await paginate(
        session,
        stmt,
        params,
        sortable=_SORT,
        default_sort=[SavedAudience.id],
        search=[SavedAudience.name, SavedAudience.description],
    )


async def count_customers(session: AsyncSession, *, flt: CustomerFilter) -> int:
    """How many customers the filter selects now."""
    total = await session.scalar(select(func.count()).select_from(customer_query(flt).subquery()))
    return int(total or 0)


async def is_targeted_in_review_or_sending(session: AsyncSession, *, audience_id: int) -> bool:
    """Whether a publication in review or being sent targets the audience."""
    busy = await session.scalar(
        select(
            exists().where(
                Publication.saved_audience_id == audience_id,
                Publication.status.in_(IN_REVIEW_OR_SENDING),
            )
        )
    )
    return bool(busy)
