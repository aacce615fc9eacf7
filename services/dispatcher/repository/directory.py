"""Accounts, reminder types and followers as the dispatcher reads them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import (
    Account,
    Customer,
    ReminderOptOut,
    ReminderType,
)


@dataclass(frozen=True, slots=True)
class RecipientState:
    """What a follower's row says about sending to them: following, binding, opt-outs."""

    subscribed: bool
    binding_state: str
    # Event types of the reminder types they opted out of.
    opted_out: frozenset[str]


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
    session: AsyncSession,
    *,
    account_id: int,
    openid: str | None,
    customer_no_tokens: Collection[str] = (),
) -> Customer | None:
    """The follower matching the openid, else the customer number (by its lookup tokens)."""
    if openid:
        query = select(Customer).where(Customer.account_id == account_id, Customer.openid == openid)
    elif customer_no_tokens:
        query = select(Customer).where(
            Customer.account_id == account_id,
            Customer.customer_no_token.in_(list(customer_no_tokens)),
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


async def list_recipient_states(
    session: AsyncSession,
    *,
    account_id: int,
    openids: Collection[str] = (),
    customer_no_tokens: Mapping[str, str] | None = None,
) -> dict[str, RecipientState]:
    """The states of the followers with these openids or customer numbers, keyed by both
    (``customer_no_tokens``: lookup token → the number it stands for)."""
    by_token = customer_no_tokens or {}
    conditions = []
    if openids:
        conditions.append(Customer.openid.in_(list(openids)))
    if by_token:
        conditions.append(Customer.customer_no_token.in_(list(by_token)))
    if not conditions:
        return {}
    rows = await session.execute(
        select(
            Customer.openid,
            Customer.customer_no_token,
            Customer.subscribed,
            Customer.binding_state,
            ReminderType.event_type,
        )
        .outerjoin(ReminderOptOut, ReminderOptOut.customer_id == Customer.id)
        .outerjoin(ReminderType, ReminderType.id == ReminderOptOut.reminder_type_id)
        .where(Customer.account_id == account_id, or_(*conditions))
    )
    found: dict[str, tuple[str | None, bool, str, set[str]]] = {}
    for openid, token, subscribed, binding_state, event_type in rows.all():
        customer_no = by_token.get(token) if token else None
        entry = found.setdefault(openid, (customer_no, subscribed, binding_state, set()))
        if event_type is not None:
            entry[3].add(event_type)
    states: dict[str, RecipientState] = {}
    for openid, (customer_no, subscribed, binding_state, opted_out) in found.items():
        state = RecipientState(subscribed, binding_state, frozenset(opted_out))
        states[openid] = state
        if customer_no:
            states.setdefault(customer_no, state)
    return states
