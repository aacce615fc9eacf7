"""The one-click hand-over to head office (R-AD-10): a branch account that cannot answer records
the hand-over and queues a customer-service text telling the customer to follow the head-office
account."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.bus import OUTBOUND
from libs.common.db.models import Account, Customer, Handover
from libs.common.schemas.outbound import OutboundRequested
from services.admin_api.audit import record, snapshot
from services.admin_api.errors import FieldError, FieldErrors, InvalidState
from services.admin_api.repositories import customers, rows
from services.admin_api.scope import Principal
from services.admin_api.state import AdminState


async def _head_office_account(session: AsyncSession, account_id: int | None) -> Account:
    """The head-office account to hand over to: the one asked for, or the first enabled one."""
    account = await customers.get_head_office_account(session, account_id=account_id)
    if account is None:
        if account_id is not None:
            raise FieldErrors(
                "not an enabled head-office account",
                [FieldError("body.to_account_id", "not a head-office account", "invalid")],
            )
        raise InvalidState("there is no enabled head-office account to hand over to")
    return account


async def hand_over(
    session: AsyncSession,
    state: AdminState,
    principal: Principal,
    customer: Customer,
    *,
    to_account_id: int | None,
    text: str | None,
    note: str,
) -> Handover:
    """Record the hand-over of ``customer`` and queue its message (the settings' template
    naming the head-office account, unless ``text`` is given)."""
    source, source_org = await customers.get_account_org(session, account_id=customer.account_id)
    if source_org is None or source_org.parent_id is None:
        raise InvalidState("the customer already follows a head-office account")
    if not customer.subscribed:
        raise InvalidState("the customer no longer follows the branch account")
    target = await _head_office_account(session, to_account_id)
    text = text or state.settings.handover_text.format(account=target.name)
    row = await rows.add(
        session,
        Handover(
            customer_id=customer.id,
            from_account_id=source.id,
            to_account_id=target.id,
            openid=customer.openid,
            text=text,
            note=note,
            message_id="",
            user_id=principal.user_id,
            org_id=principal.org_id,
        ),
    )
    row.message_id = f"handover{row.id}"
    await record(
        session, principal, "customer.handover", "customer", customer.id, after=snapshot(row)
    )
    # Published inside the request's transaction: a failure to queue rolls the record back, so
    # the log never claims a message that was not sent (the rare reverse, a message whose
    # commit then fails, still leaves the dispatcher's notification row keyed by message_id).
    message = OutboundRequested(
        message_id=row.message_id,
        correlation_id=f"handover:{row.id}",
        account=source.code,
        openid=customer.openid,
        priority="alert",
        origin="handover",
        custom_message={"msgtype": "text", "text": {"content": text}},
    )
    await state.bus.publish(
        OUTBOUND, "alert.wechat", message.to_bytes(), message_id=message.message_id
    )
    return row
