"""The one-click "follow head office" hand-over of a branch account's customer, and the record
of past hand-overs."""

from __future__ import annotations

from libs.common.bus import OUTBOUND
from libs.common.db.models import Account, Handover
from libs.common.schemas.outbound import OutboundRequested
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.routes.customers.access import ScopedCustomer, customers_router
from services.admin_api.api.schemas.customers import HandoverCreate, HandoverRead
from services.admin_api.audit import record, snapshot
from services.admin_api.errors import FieldError, FieldErrors, InvalidState
from services.admin_api.listing import ListQuery, Page
from services.admin_api.repositories import customers, rows

router = customers_router()


async def _head_office_account(session: SessionDep, account_id: int | None) -> Account:
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


@router.post(
    "/{customer_id}/handover",
    response_model=HandoverRead,
    status_code=201,
    dependencies=[Perm("customer.handover")],
    summary="一键转总行 · hand over to head office",
)
async def handover(
    customer: ScopedCustomer,
    body: HandoverCreate,
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
) -> HandoverRead:
    """For a branch account that cannot answer: record the hand-over and queue a
    customer-service text telling the customer to follow the head-office account."""
    source, source_org = await customers.get_account_org(session, account_id=customer.account_id)
    if source_org is None or source_org.parent_id is None:
        raise InvalidState("the customer already follows a head-office account")
    if not customer.subscribed:
        raise InvalidState("the customer no longer follows the branch account")
    target = await _head_office_account(session, body.to_account_id)
    text = body.text or state.settings.handover_text.format(account=target.name)
    row = await rows.add(
        session,
        Handover(
            customer_id=customer.id,
            from_account_id=source.id,
            to_account_id=target.id,
            openid=customer.openid,
            text=text,
            note=body.note,
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
    return HandoverRead.model_validate(row)


@router.get(
    "/{customer_id}/handovers",
    response_model=Page[HandoverRead],
    dependencies=[Perm("customer.read")],
    summary="转总行记录 · hand-overs of a customer",
)
async def list_handovers(
    customer: ScopedCustomer, session: SessionDep, params: ListQuery
) -> Page[HandoverRead]:
    """The customer's hand-overs, newest first by default."""
    items, total = await customers.list_handovers(session, customer_id=customer.id, params=params)
    return Page[HandoverRead](
        items=[HandoverRead.model_validate(h) for h in items],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )
