"""Service subscriptions (服务订阅, R-EN-6): a bound customer picks the reminder types they get.

What is stored are opt-outs (:class:`~libs.common.db.models.ReminderOptOut`), per customer: the
dispatcher reads them when it claims a notification and suppresses the ones opted out of
(``services/dispatcher/delivery/suppression.py``). Saving replaces the customer's opt-outs in
the transaction that uses the link up, and is audited with the list of types opted out of.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db.models import AuditEntry, Customer, ReminderOptOut, ReminderType
from libs.common.h5_links import LinkClaims, LinkUsed, record_use

# More reminder types than this are not offered on one page (the form would outgrow its limit).
MAX_CHOICES = 40
# Form fields naming a reminder type: ``type.<event_type>`` (checked boxes only are posted).
FIELD_PREFIX = "type."


class _NotBound(Exception):
    """Rolls the save back: the follower is not (or no longer) bound."""


class Saved(enum.Enum):
    """How saving the choices ended."""

    SAVED = "saved"
    NOT_BOUND = "not_bound"
    USED = "used"


@dataclass(frozen=True, slots=True)
class Choice:
    """One reminder type as the page offers it."""

    event_type: str
    name: str
    subscribed: bool


class Subscriptions:
    """Reads and replaces a bound customer's reminder choices."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def choices(self, account_id: int, openid: str) -> list[Choice] | None:
        """The account's reminder types with the follower's choice; ``None`` unless bound."""
        async with self._sessions() as session:
            customer = await _bound_customer(session, account_id, openid)
            if customer is None:
                return None
            types = await _reminder_types(session, account_id)
            opted_out = set(
                await session.scalars(
                    select(ReminderOptOut.reminder_type_id).where(
                        ReminderOptOut.customer_id == customer.id
                    )
                )
            )
        return [Choice(t.event_type, t.name, t.id not in opted_out) for t in types]

    async def save(
        self, claims: LinkClaims, account_id: int, subscribed: Collection[str], client_ip: str
    ) -> Saved:
        """Keep the types in ``subscribed``, opt out of the others; uses the link up."""
        try:
            async with self._sessions.begin() as session:
                customer = await _bound_customer(session, account_id, claims.openid)
                if customer is None:
                    raise _NotBound
                await record_use(session, claims)
                types = await _reminder_types(session, account_id)
                await session.execute(
                    delete(ReminderOptOut).where(ReminderOptOut.customer_id == customer.id)
                )
                opted_out = [t for t in types if t.event_type not in subscribed]
                session.add_all(
                    ReminderOptOut(customer_id=customer.id, reminder_type_id=t.id)
                    for t in opted_out
                )
                session.add(
                    AuditEntry(
                        username="customer",
                        action="customer.subscriptions_changed",
                        entity="customer",
                        entity_id=claims.openid,
                        after={
                            "account": claims.account,
                            "opted_out": [t.event_type for t in opted_out],
                        },
                        ip=client_ip[:64],
                    )
                )
        except LinkUsed:
            return Saved.USED
        except _NotBound:
            return Saved.NOT_BOUND
        return Saved.SAVED


async def _bound_customer(session: AsyncSession, account_id: int, openid: str) -> Customer | None:
    customer = await session.scalar(
        select(Customer).where(Customer.account_id == account_id, Customer.openid == openid)
    )
    return customer if customer is not None and customer.binding_state == "bound" else None


async def _reminder_types(session: AsyncSession, account_id: int) -> list[ReminderType]:
    rows = await session.scalars(
        select(ReminderType)
        .where(ReminderType.account_id == account_id, ReminderType.enabled)
        .order_by(ReminderType.id)
        .limit(MAX_CHOICES)
    )
    return list(rows)


def chosen_types(form: dict[str, str], offered: Collection[str]) -> set[str] | None:
    """The event types ticked in ``form``; ``None`` when it names one not offered."""
    chosen = {name[len(FIELD_PREFIX) :] for name in form if name.startswith(FIELD_PREFIX)}
    return chosen if chosen <= set(offered) else None
