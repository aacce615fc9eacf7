"""Engine-side writes: followers subscribing and unsubscribing (R-EN-7)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Customer


async def get_or_create_customer(
    session: AsyncSession, *, account_id: int, openid: str
) -> Customer:
    """The follower row for (account, openid), created if new."""
    customer = await session.scalar(
        select(Customer).where(Customer.account_id == account_id, Customer.openid == openid)
    )
    if customer is None:
        customer = Customer(account_id=account_id, openid=openid)
        session.add(customer)
        await session.flush()
    return customer


async def record_subscribe(
    session: AsyncSession, *, account_id: int, openid: str, at: datetime, scene: str | None
) -> Customer:
    """Mark the follower subscribed; a suspended binding comes back."""
    customer = await get_or_create_customer(session, account_id=account_id, openid=openid)
    customer.subscribed = True
    customer.subscribed_at = at
    customer.subscribe_scene = scene or ""
    if customer.binding_state == "suspended":
        customer.binding_state = "bound"
    customer.last_interaction_at = at
    await session.flush()
    return customer


async def record_unsubscribe(
    session: AsyncSession, *, account_id: int, openid: str, at: datetime
) -> Customer:
    """Mark the follower gone and suspend any binding."""
    customer = await get_or_create_customer(session, account_id=account_id, openid=openid)
    customer.subscribed = False
    customer.unsubscribed_at = at
    if customer.binding_state == "bound":
        customer.binding_state = "suspended"
    await session.flush()
    return customer
