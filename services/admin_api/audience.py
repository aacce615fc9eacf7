"""Customer selection shared by the customer search, saved audiences and the mass-send audience
(R-AD-6/7/10)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, select

from libs.common.db.models import Customer, CustomerProfile
from services.admin_api.listing import LIKE_ESCAPE, contains_pattern


@dataclass(frozen=True)
class CustomerFilter:
    """Segmentation criteria; ``None`` (or an empty tuple) means "any"."""

    account_id: int | None = None
    category: str | None = None
    region: str | None = None
    occupation: str | None = None
    tag: str | None = None
    binding_state: str | None = None
    subscribed: bool | None = None
    # Every one of these must be present (AND), unlike the single ``tag`` of ad-hoc searches.
    tags: tuple[str, ...] = ()
    subscriptions: tuple[str, ...] = ()

    @classmethod
    def from_criteria(cls, account_id: int, criteria: Mapping[str, Any]) -> CustomerFilter:
        """The filter a saved audience's stored ``criteria`` describe, on ``account_id``."""
        return cls(
            account_id=account_id,
            category=criteria.get("category"),
            region=criteria.get("region"),
            occupation=criteria.get("occupation"),
            binding_state=criteria.get("binding_state"),
            subscribed=criteria.get("subscribed"),
            tags=tuple(criteria.get("tags") or ()),
            subscriptions=tuple(criteria.get("subscriptions") or ()),
        )


def _json_list_has(column: Any, value: str) -> ColumnElement[bool]:
    # JSON lists are stored as serialised text (non-ASCII as \\u escapes); match the element
    # exactly as json.dumps writes it.
    return cast(column, String).like(contains_pattern(json.dumps(value)), escape=LIKE_ESCAPE)


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
    for tag in (f.tag, *f.tags) if f.tag is not None else f.tags:
        stmt = stmt.where(_json_list_has(CustomerProfile.tags, tag))
    for service in f.subscriptions:
        stmt = stmt.where(_json_list_has(CustomerProfile.subscriptions, service))
    return stmt
