"""Who must not get a notification on WeChat (R-EN-6, R-EN-7), decided before any channel runs.

A follower who unfollowed, whose binding is suspended, or who opted out of the reminder type on
the subscriptions page (``/h5/subscriptions``) gets nothing on WeChat. An opt-out is the
customer's word: nothing is sent at all. Someone who only stopped following still gets it by SMS
when the reminder type allows SMS to unsubscribed customers and the request allows the fallback;
otherwise the notification ends ``suppressed`` with the reason code in its ``reason``.

States are read in the claim transaction, one query per account and batch (first-time claims),
so a suppressed notification also never takes a customer-service window; a resumed or replayed
run, or a row naming only a customer number, looks its recipient up on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.customer_numbers import opened, tokens_of
from libs.common.secret_box import SecretBox
from services.dispatcher import repository
from services.dispatcher.fallback import Reason
from services.dispatcher.repository import Claimed, RecipientState

# A recipient with no customer row: nothing is known that would stop a send.
UNKNOWN = RecipientState(subscribed=True, binding_state="unbound", opted_out=frozenset())


@dataclass(frozen=True, slots=True)
class Verdict:
    """Why WeChat is not used, and whether SMS may still carry it."""

    code: Reason
    sms_allowed: bool


def judge(state: RecipientState, event_type: str, *, sms_to_unsubscribed: bool) -> Verdict | None:
    """The verdict for ``state`` and a reminder type; ``None`` when WeChat may be used."""
    if event_type in state.opted_out:
        return Verdict(Reason.OPTED_OUT, sms_allowed=False)
    if not state.subscribed:
        return Verdict(Reason.UNSUBSCRIBED, sms_allowed=sms_to_unsubscribed)
    if state.binding_state == "suspended":
        return Verdict(Reason.BINDING_SUSPENDED, sms_allowed=sms_to_unsubscribed)
    return None


def blocks_wechat(state: RecipientState | None, event_type: str) -> bool:
    """Whether ``state`` rules WeChat out for this event type (whatever SMS may do)."""
    return state is not None and judge(state, event_type, sms_to_unsubscribed=False) is not None


async def states_in_claim(
    session: AsyncSession, claimed: list[Claimed]
) -> dict[str, RecipientState]:
    """Recipient states of first-time claims with an openid, by notification id (batched)."""
    wanted: dict[int, list[Claimed]] = {}
    for row in claimed:
        if row.openid and row.previous == "accepted":
            wanted.setdefault(row.account_id, []).append(row)
    states: dict[str, RecipientState] = {}
    for account_id, rows in wanted.items():
        found = await repository.list_recipient_states(
            session, account_id=account_id, openids={row.openid for row in rows if row.openid}
        )
        for row in rows:
            assert row.openid is not None
            states[row.id] = found.get(row.openid, UNKNOWN)
    return states


async def state_of(
    sessions: async_sessionmaker[AsyncSession], claimed: Claimed, box: SecretBox
) -> RecipientState | None:
    """One recipient's state (resumed runs, replays, rows naming only a customer number)."""
    if not claimed.openid and not claimed.customer_no_enc:
        return None  # a phone number alone: no follower to ask about
    # The stored number is opened only when no openid names the follower.
    customer_no = None if claimed.openid else opened(box, claimed.customer_no_enc)
    async with sessions() as session:
        found = await repository.list_recipient_states(
            session,
            account_id=claimed.account_id,
            openids=[claimed.openid] if claimed.openid else (),
            customer_no_tokens=tokens_of(box, [customer_no]) if customer_no else None,
        )
    key = claimed.openid or customer_no
    assert key is not None
    return found.get(key, UNKNOWN)
