"""Showing a customer's numbers whole, for a stated reason that the audit log keeps."""

from __future__ import annotations

from libs.common.customer_numbers import opened
from libs.common.phones import contact_phone
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.routes.customers.access import ScopedCustomer, customers_router
from services.admin_api.api.schemas.customers import RevealRead, RevealRequest
from services.admin_api.audit import record

router = customers_router()


@router.post(
    "/{customer_id}/reveal",
    response_model=RevealRead,
    dependencies=[Perm("customer.reveal")],
    summary="查看完整号码 · reveal customer and phone numbers",
)
async def reveal(
    customer: ScopedCustomer,
    body: RevealRequest,
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
) -> RevealRead:
    """The unmasked numbers; audited with the reason and which fields were shown."""
    phone = contact_phone(state.secret_box, customer.phone_enc, customer.phone)
    customer_no = opened(state.secret_box, customer.customer_no_enc)
    numbers = {"customer_no": customer_no, "phone": phone}
    shown = [field for field, value in numbers.items() if value]
    await record(
        session,
        principal,
        "customer.reveal",
        "customer",
        customer.id,
        after={"reason": body.reason, "fields": shown},
    )
    return RevealRead(id=customer.id, customer_no=customer_no, phone=phone)
