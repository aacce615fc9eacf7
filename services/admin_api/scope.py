"""Who is calling (:class:`Principal`) and what they may see (data scope, R-AD-1/R-AD-2).

A user sees the objects of their own organisation's subtree; the head office (the root) sees
everything. Accounts are visible when owned by, or granted to, an organisation in the subtree.
Objects outside the scope answer 404, exactly like objects that do not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Account, AccountGrant, Org
from services.admin_api.errors import NotFound

T = TypeVar("T")


@dataclass
class Principal:
    """The authenticated user behind a request."""

    user_id: int
    username: str
    org_id: int
    org_path: str
    is_head_office: bool
    permissions: frozenset[str]
    session_id: str
    ip: str = ""
    _account_ids: set[int] | None = field(default=None, repr=False)

    def can(self, permission: str) -> bool:
        """Whether the user holds ``permission``."""
        return permission in self.permissions

    def org_clause(self, column: Any) -> ColumnElement[bool]:
        """SQL condition: ``column`` (an org id) lies in the user's subtree."""
        if self.is_head_office:
            return true()
        subtree = select(Org.id).where(Org.path.startswith(self.org_path))
        return column.in_(subtree)  # type: ignore[no-any-return]

    def sees_org_path(self, path: str) -> bool:
        """Whether an organisation with materialised ``path`` lies in the user's subtree."""
        return self.is_head_office or path.startswith(self.org_path)

    async def account_ids(self, session: AsyncSession) -> set[int] | None:
        """Ids of the accounts the user may see; ``None`` means all (head office)."""
        if self.is_head_office:
            return None
        if self._account_ids is None:
            subtree = select(Org.id).where(Org.path.startswith(self.org_path))
            owned = select(Account.id).where(Account.org_id.in_(subtree))
            granted = select(AccountGrant.account_id).where(AccountGrant.org_id.in_(subtree))
            rows = await session.scalars(owned.union(granted))
            self._account_ids = set(rows)
        return self._account_ids

    async def account_clause(self, session: AsyncSession, column: Any) -> ColumnElement[bool]:
        """SQL condition: ``column`` (an account id) is visible to the user."""
        ids = await self.account_ids(session)
        return true() if ids is None else column.in_(ids)

    async def sees_account(self, session: AsyncSession, account_id: int) -> bool:
        """Whether the account is visible to the user."""
        ids = await self.account_ids(session)
        return ids is None or account_id in ids


async def org_in_scope(session: AsyncSession, principal: Principal, org_id: int) -> Org:
    """The organisation if it lies in the user's subtree, else :class:`NotFound`."""
    org = await session.get(Org, org_id)
    if org is None or not principal.sees_org_path(org.path):
        raise NotFound(f"organisation {org_id} not found")
    return org


async def account_in_scope(session: AsyncSession, principal: Principal, account_id: int) -> Account:
    """The account if visible to the user, else :class:`NotFound`."""
    account = await session.get(Account, account_id)
    if account is None or not await principal.sees_account(session, account_id):
        raise NotFound(f"account {account_id} not found")
    return account


async def by_org(
    session: AsyncSession, principal: Principal, model: type[T], object_id: Any, what: str
) -> T:
    """Load an org-owned object (``model.org_id``) within the scope, else :class:`NotFound`."""
    obj = await session.get(model, object_id)
    if obj is None:
        raise NotFound(f"{what} {object_id} not found")
    org = await session.get(Org, obj.org_id)  # type: ignore[attr-defined]
    if org is None or not principal.sees_org_path(org.path):
        raise NotFound(f"{what} {object_id} not found")
    return obj


async def by_account(
    session: AsyncSession, principal: Principal, model: type[T], object_id: Any, what: str
) -> T:
    """Load an account-owned object (``model.account_id``) within the scope, else NotFound."""
    obj = await session.get(model, object_id)
    if obj is None or not await principal.sees_account(session, obj.account_id):  # type: ignore[attr-defined]
        raise NotFound(f"{what} {object_id} not found")
    return obj
