"""WeChat accounts and the organisations granted to publish to them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Account, AccountGrant
from services.admin_api.listing import ListParams, paginate
from services.admin_api.scope import Principal

_SORT = {"id": Account.id, "code": Account.code, "name": Account.name}


async def list_accounts(
    session: AsyncSession, *, principal: Principal, params: ListParams, enabled: bool | None
) -> tuple[list[Account], int]:
    """One page of the accounts owned by or granted to the caller's subtree."""
    stmt = select(Account).where(await principal.account_clause(session, Account.id))
    if enabled is not None:
        stmt = stmt.where(Account.enabled == enabled)
    return await paginate(
        session,
        stmt,
        params,
        sortable=_SORT,
        default_sort=[Account.id],
        search=[Account.code, Account.name, Account.appid],
    )


async def exists_with_code_or_appid(session: AsyncSession, *, code: str, appid: str) -> bool:
    """Whether an account already uses this code or this appid."""
    clash = await session.scalar(
        select(Account.id).where((Account.code == code) | (Account.appid == appid))
    )
    return bool(clash)


async def list_granted_org_ids(session: AsyncSession, *, account_id: int) -> list[int]:
    """Organisations allowed to publish to the account, in id order."""
    grants = await session.scalars(
        select(AccountGrant.org_id)
        .where(AccountGrant.account_id == account_id)
        .order_by(AccountGrant.org_id)
    )
    return list(grants)


async def replace_grants(session: AsyncSession, *, account_id: int, org_ids: Iterable[int]) -> None:
    """Make ``org_ids`` the exact set of organisations granted the account."""
    await session.execute(delete(AccountGrant).where(AccountGrant.account_id == account_id))
    session.add_all(AccountGrant(account_id=account_id, org_id=o) for o in org_ids)
    await session.flush()
