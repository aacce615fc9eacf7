"""Accounts, reminder types and followers as the dispatcher reads them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import (
    Account,
    Customer,
    ReminderType,
)


async def get_account(
    session: AsyncSession, *, account_id: int | None = None, code: str | None = None
) -> Account | None:
    """An account by id or by code."""
    query = select(Account)
    query = (
        query.where(Account.id == account_id)
        if account_id is not None
        else query.where(Account.code == code)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def get_reminder_type(
    session: AsyncSession, *, account_id: int, event_type: str
) -> ReminderType | None:
    """The reminder configuration of an event type."""
    result = await session.execute(
        select(ReminderType).where(
            ReminderType.account_id == account_id, ReminderType.event_type == event_type
        )
    )
    return result.scalar_one_or_none()


async def get_customer(
    session: AsyncSession, *, account_id: int, openid: str | None, customer_no: str | None
) -> Customer | None:
    """The follower matching the openid, else the customer number."""
    if openid:
        query = select(Customer).where(Customer.account_id == account_id, Customer.openid == openid)
    elif customer_no:
        query = select(Customer).where(
            Customer.account_id == account_id, Customer.customer_no == customer_no
        )
    else:
        return None
    return (await session.execute(query.limit(1))).scalars().first()


async def mark_unsubscribed(
    session: AsyncSession, *, account_id: int, openids: Sequence[str], now: datetime
) -> None:
    """Mark followers unsubscribed after WeChat said so (43004)."""
    await session.execute(
        update(Customer)
        .where(
            Customer.account_id == account_id,
            Customer.openid.in_(list(openids)),
            Customer.subscribed.is_(True),
        )
        .values(subscribed=False, unsubscribed_at=now)
    )
