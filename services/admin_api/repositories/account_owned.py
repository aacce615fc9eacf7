"""Listing the account-owned configuration tables (commands, menu actions, locations, reminder
types), whichever model they are; rows are written through :mod:`.rows`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin_api.listing import ListParams, paginate
from services.admin_api.scope import Principal


async def list_rows(
    session: AsyncSession,
    *,
    model: type[Any],
    principal: Principal,
    params: ListParams,
    account_id: int | None,
    filters: Mapping[Any, Any],
    sortable: Mapping[str, Any],
    search: Sequence[Any],
) -> tuple[list[Any], int]:
    """One page of ``model`` rows on the accounts the caller sees, filtered by ``account_id`` and
    ``filters`` (column → value, ``None`` values ignored), and how many match."""
    stmt = select(model).where(await principal.account_clause(session, model.account_id))
    if account_id is not None:
        stmt = stmt.where(model.account_id == account_id)
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(column == value)
    return await paginate(
        session, stmt, params, sortable=sortable, default_sort=[model.id], search=search
    )
