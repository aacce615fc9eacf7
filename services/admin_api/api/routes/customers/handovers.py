"""The one-click "follow head office" hand-over of a branch account's customer, and the record
of past hand-overs."""

from __future__ import annotations

from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.routes.customers.access import ScopedCustomer, customers_router
from services.admin_api.api.schemas.customers import HandoverCreate, HandoverRead
from services.admin_api.handover import hand_over
from services.admin_api.listing import ListQuery, Page
from services.admin_api.repositories import customers

router = customers_router()


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
    row = await hand_over(
        session,
        state,
        principal,
        customer,
        to_account_id=body.to_account_id,
        text=body.text,
        note=body.note,
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
    return Page[HandoverRead].of([HandoverRead.model_validate(h) for h in items], total, params)
