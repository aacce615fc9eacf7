"""Customer selection shared by the customer search and the mass-send audience (R-AD-7/10)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Select, String, cast, select

from libs.common.db.models import Customer, CustomerProfile


@dataclass(frozen=True)
class CustomerFilter:
    """Segmentation criteria; ``None`` means "any"."""

    account_id: int | None = None
    category: str | None = None
    region: str | None = None
    occupation: str | None = None
    tag: str | None = None
    binding_state: str | None = None
    subscribed: bool | None = None


def customer_query(f: CustomerFilter) -> Select[Customer]:
    """Customers matching ``f`` (profile criteria need a profile row)."""
    stmt = select(Customer).outerjoin(CustomerProfile, CustomerProfile.customer_id == Customer.id)
    if f.account_id is not None:
        stmt = stmt.where(Customer.account_id == f.account_id)
    if f.binding_state is not None:
        stmt = stmt.where(Customer.binding_state == f.binding_state)
    if f.subscribed is not None:
        stmt = stmt.where(Customer.subscribed == f.subscribed)
    if f.category is not None:
        stmt = stmt.where(CustomerProfile.category == f.category)
    if f.region is not None:
        stmt = stmt.where(CustomerProfile.region == f.region)
    if f.occupation is not None:
        stmt = stmt.where(CustomerProfile.occupation == f.occupation)
    if f.tag is not None:
        # Tags are a JSON list stored as serialised text (non-ASCII as \\u escapes); match the
        # element exactly as json.dumps writes it, with "!" as the LIKE escape on both backends.
        needle = json.dumps(f.tag).replace("!", "!!").replace("%", "!%").replace("_", "!_")
        stmt = stmt.where(cast(CustomerProfile.tags, String).like(f"%{needle}%", escape="!"))
    return stmt


def mask_customer_no(value: str | None) -> str | None:
    """Hide all but the last 4 characters (card/customer numbers are never shown whole)."""
    if not value:
        return value
    return "*" * max(len(value) - 4, 0) + value[-4:]
