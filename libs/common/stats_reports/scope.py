"""The data scope of the reports: the account codes a caller (or an organisation filter) may
see, since the rollups are keyed by account code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Account, AccountGrant, Org


async def account_codes(
    session: AsyncSession, account_ids: set[int] | None
) -> frozenset[str] | None:
    """The codes of the given accounts (rollups are keyed by code); ``None`` stays ``None``."""
    if account_ids is None:
        return None
    if not account_ids:
        return frozenset()
    codes = await session.scalars(select(Account.code).where(Account.id.in_(account_ids)))
    return frozenset(codes)


async def org_account_codes(session: AsyncSession, org_path: str) -> frozenset[str]:
    """Codes of the accounts owned by, or granted to, an organisation in the subtree at
    ``org_path`` (the organisation filter of the reports)."""
    subtree = select(Org.id).where(Org.path.startswith(org_path))
    owned = select(Account.id).where(Account.org_id.in_(subtree))
    granted = select(AccountGrant.account_id).where(AccountGrant.org_id.in_(subtree))
    codes = await session.scalars(select(Account.code).where(Account.id.in_(owned.union(granted))))
    return frozenset(codes)
