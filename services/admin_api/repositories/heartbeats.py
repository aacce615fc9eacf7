"""The service instances' latest heartbeats (written by the stats service)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import ServiceHeartbeat


async def list_heartbeats(
    session: AsyncSession, *, seen_since: datetime
) -> Sequence[ServiceHeartbeat]:
    """Instances heard from since ``seen_since``, by service and instance."""
    rows = await session.scalars(
        select(ServiceHeartbeat)
        .where(ServiceHeartbeat.last_seen_at >= seen_since)
        .order_by(ServiceHeartbeat.service, ServiceHeartbeat.instance_id)
    )
    return rows.all()
