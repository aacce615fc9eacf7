"""Who a publication goes to: its audience resolved to openids at the moment it is asked."""

from __future__ import annotations

import dataclasses

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Customer, Publication, SavedAudience
from services.admin_api.audience import CustomerFilter, customer_query


async def audience_openids(session: AsyncSession, publication: Publication) -> list[str]:
    """The openids a publication goes to (followers only for groups and mass sends); a saved
    audience is resolved now, with its current criteria and the current customers."""
    audience = publication.audience or {}
    if publication.kind == "single":
        return [str(audience["openid"])]
    if publication.kind == "list":
        return [str(o) for o in audience.get("openids", [])]
    if audience.get("audience_id") is not None:
        saved = (
            await session.get(SavedAudience, publication.saved_audience_id)
            if publication.saved_audience_id is not None
            else None
        )
        if saved is None:  # deleted since: nobody is targeted rather than everybody
            return []
        base = CustomerFilter.from_criteria(publication.account_id, saved.criteria)
        flt = dataclasses.replace(base, subscribed=True)
    elif publication.kind == "group":
        flt = CustomerFilter(
            account_id=publication.account_id, tag=audience.get("tag"), subscribed=True
        )
    else:
        flt = CustomerFilter(
            account_id=publication.account_id,
            category=audience.get("category"),
            region=audience.get("region"),
            occupation=audience.get("occupation"),
            tag=audience.get("tag"),
            subscribed=True,
        )
    stmt = customer_query(flt).with_only_columns(Customer.openid).order_by(Customer.id)
    return list(await session.scalars(stmt))


async def audience_count(session: AsyncSession, publication: Publication) -> int:
    """How many distinct recipients the publication would reach now."""
    return len(set(await audience_openids(session, publication)))
