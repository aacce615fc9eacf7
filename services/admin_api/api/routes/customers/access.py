"""Who reaches what among customers: the routers' prefix, the customer in the path as the
caller may see it, and the masked view every answer shows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from libs.common.customer_numbers import masked_customer_no
from libs.common.db.models import Customer, CustomerProfile
from libs.common.masking import mask_phone
from libs.common.phones import contact_phone
from libs.common.secret_box import SecretBox
from services.admin_api.api.deps import CurrentUser, SessionDep
from services.admin_api.api.models import IdPath
from services.admin_api.api.schemas.customers import CustomerRead
from services.admin_api.scope import by_account


def customers_router() -> APIRouter:
    """A router for one resource of customers, under ``/api/v1/customers``."""
    return APIRouter(prefix="/api/v1/customers", tags=["customers 客户"])


async def load_customer(
    customer_id: IdPath, principal: CurrentUser, session: SessionDep
) -> Customer:
    """The customer in the path, within the caller's scope."""
    return await by_account(session, principal, Customer, customer_id, "customer")


ScopedCustomer = Annotated[Customer, Depends(load_customer)]


def to_read(customer: Customer, profile: CustomerProfile | None, box: SecretBox) -> CustomerRead:
    """The API view of a customer (customer number and phone masked)."""
    return CustomerRead(
        id=customer.id,
        account_id=customer.account_id,
        openid=customer.openid,
        subscribed=customer.subscribed,
        binding_state=customer.binding_state,
        customer_no=masked_customer_no(box, customer.customer_no_enc),
        phone=mask_phone(contact_phone(box, customer.phone_enc, customer.phone)),
        category=profile.category if profile else "",
        region=profile.region if profile else "",
        occupation=profile.occupation if profile else "",
        tags=list(profile.tags) if profile else [],
        subscriptions=list(profile.subscriptions) if profile else [],
        last_interaction_at=customer.last_interaction_at,
    )
