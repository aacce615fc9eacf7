"""One customer and their segmentation profile (category, region, occupation, tags,
subscriptions)."""

from __future__ import annotations

from libs.common.db.models import CustomerProfile
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.routes.customers.access import (
    ScopedCustomer,
    customers_router,
    to_read,
)
from services.admin_api.api.schemas.customers import CustomerRead, ProfileUpdate
from services.admin_api.audit import record, snapshot
from services.admin_api.repositories import rows

router = customers_router()


@router.get(
    "/{customer_id}",
    response_model=CustomerRead,
    dependencies=[Perm("customer.read")],
    summary="客户详情 · get customer",
)
async def get_customer(
    customer: ScopedCustomer, session: SessionDep, state: StateDep
) -> CustomerRead:
    """One customer (customer number and phone masked)."""
    profile = await rows.get(session, CustomerProfile, customer.id)
    return to_read(customer, profile, state.secret_box)


@router.patch(
    "/{customer_id}",
    response_model=CustomerRead,
    dependencies=[Perm("customer.edit")],
    summary="修改客户分群信息 · update customer profile",
)
async def update_customer(
    customer: ScopedCustomer,
    body: ProfileUpdate,
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
) -> CustomerRead:
    """Set category, region, occupation, tags and subscriptions."""
    profile = await rows.get(session, CustomerProfile, customer.id)
    before = snapshot(profile)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if profile is None:
        defaults = {"customer_id": customer.id, "tags": [], "subscriptions": []}
        profile = await rows.add(session, CustomerProfile(**(defaults | changes)))
    else:
        await rows.update(session, profile, changes)
    await record(
        session,
        principal,
        "customer.update",
        "customer",
        customer.id,
        before=before,
        after=snapshot(profile),
    )
    return to_read(customer, profile, state.secret_box)
