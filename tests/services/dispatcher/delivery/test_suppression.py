"""Unfollowed, suspended and opted-out recipients (R-EN-6, R-EN-7) against the real sandboxes."""

from __future__ import annotations

from sqlalchemy import select, update

from libs.common.bus import EVENTS
from libs.common.db.models import Customer, ReminderOptOut, ReminderType
from libs.common.schemas.events import InboundHandled
from services.dispatcher.delivery.suppression import UNKNOWN, judge
from services.dispatcher.fallback import Reason
from services.dispatcher.repository import RecipientState
from tests.polling import eventually
from tests.services.dispatcher.support import OPENID, PHONE, Harness

FUND = {
    "fund_name": "演示成长混合",
    "fund_code": "000001",
    "amount": "10,000.00",
    "shares": "8,100.45",
    "confirm_date": "2025-06-30",
}


async def _set_customer(harness: Harness, **values: object) -> None:
    async with harness.resources.sessions.begin() as session:
        await session.execute(update(Customer).where(Customer.openid == OPENID).values(**values))


async def _opt_out(harness: Harness, event_type: str) -> None:
    async with harness.resources.sessions.begin() as session:
        customer = await session.scalar(select(Customer).where(Customer.openid == OPENID))
        reminder = await session.scalar(
            select(ReminderType).where(ReminderType.event_type == event_type)
        )
        assert customer is not None
        assert reminder is not None
        session.add(ReminderOptOut(customer_id=customer.id, reminder_type_id=reminder.id))


def _wechat_calls(harness: Harness) -> int:
    return len([c for c in harness.boxes.wx.calls.find(None) if "/message/" in c.path])


def test_an_opt_out_wins_over_the_sms_permission() -> None:
    opted = RecipientState(False, "suspended", frozenset({"balance_change"}))
    verdict = judge(opted, "balance_change", sms_to_unsubscribed=True)
    assert verdict is not None
    assert (verdict.code, verdict.sms_allowed) == (Reason.OPTED_OUT, False)
    gone = judge(opted, "fund_confirm", sms_to_unsubscribed=True)
    assert gone is not None
    assert (gone.code, gone.sms_allowed) == (Reason.UNSUBSCRIBED, True)
    assert judge(UNKNOWN, "fund_confirm", sms_to_unsubscribed=False) is None


async def test_an_opted_out_type_is_suppressed_and_the_others_still_delivered(
    harness: Harness,
) -> None:
    await _opt_out(harness, "fund_confirm")
    suppressed = await harness.notify(event_type="fund_confirm", data=FUND)
    delivered = await harness.notify()
    rows = await harness.wait_terminal([suppressed, delivered])
    assert (rows[suppressed].status, rows[suppressed].reason) == ("suppressed", "opted_out")
    assert rows[suppressed].channel is None
    assert rows[delivered].status == "delivered"
    sent = [d.body["client_msg_id"] for d in harness.boxes.wx.deliveries]
    assert sent == [delivered]
    assert harness.boxes.sms.delivered == 0
    await eventually(
        lambda: any(
            e.notification_id == suppressed and e.status == "suppressed" for e in harness.events
        ),
        what="the delivery.suppressed event",
    )


async def test_an_unfollowed_customer_gets_sms_only_where_the_type_allows_it(
    harness: Harness,
) -> None:
    await _set_customer(harness, subscribed=False, binding_state="suspended")
    # balance_change allows SMS to unsubscribed customers; fund_confirm does not.
    by_sms = await harness.notify()
    suppressed = await harness.notify(event_type="fund_confirm", data=FUND)
    refused_sms = await harness.notify(fallback="none")
    rows = await harness.wait_terminal([by_sms, suppressed, refused_sms])
    assert (rows[by_sms].status, rows[by_sms].channel) == ("fallback_sent", "sms")
    assert rows[by_sms].reason == "unsubscribed"
    assert (rows[suppressed].status, rows[suppressed].reason) == ("suppressed", "unsubscribed")
    # The business system asked for no fallback: nothing goes out at all.
    assert (rows[refused_sms].status, rows[refused_sms].reason) == ("suppressed", "unsubscribed")
    assert _wechat_calls(harness) == 0
    assert [m.phone for m in harness.boxes.sms.messages.values()] == [PHONE]
    assert list(harness.boxes.sms.messages) == [by_sms]


async def test_a_suspended_binding_is_suppressed_by_customer_number_too(harness: Harness) -> None:
    await _set_customer(harness, binding_state="suspended")
    by_openid = await harness.notify(event_type="fund_confirm", data=FUND)
    by_number = await harness.notify(
        openid=None, phone=None, customer_no="C00000001", event_type="fund_confirm", data=FUND
    )
    rows = await harness.wait_terminal([by_openid, by_number])
    assert {row.reason for row in rows.values()} == {"binding_suspended"}
    assert {row.status for row in rows.values()} == {"suppressed"}
    assert _wechat_calls(harness) == 0


async def test_a_suppressed_notification_leaves_the_service_window_alone(
    harness: Harness,
) -> None:
    interaction = InboundHandled(
        account="demo", kind="text", openid=OPENID, answer="help", outcome="ok", handle_ms=1.0
    )
    await harness.resources.bus.publish(EVENTS, "inbound.handled", interaction.to_bytes())

    async def window_open() -> bool:
        return OPENID in await harness.windows()

    await eventually(window_open, what="the message window")
    await _opt_out(harness, "fund_confirm")
    nid = await harness.notify(event_type="fund_confirm", data=FUND)
    rows = await harness.wait_terminal([nid])
    assert rows[nid].status == "suppressed"
    assert (await harness.windows())[OPENID].used == 0
