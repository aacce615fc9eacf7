"""The rows recording custom sends (late replies, hand-overs, publications) before they go out."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, delete
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import (
    Notification,
)
from libs.common.db.prepared import insert_unless_taken

# Core table, built once: the insert skips the ORM's bulk-insert preparation and statement
# building (every agent's send). A taken id is skipped by the insert itself (no savepoint).
_NOTIFICATIONS = cast(Table, Notification.__table__)
_START = insert_unless_taken(
    _NOTIFICATIONS,
    key=_NOTIFICATIONS.c.id,
    returning=_NOTIFICATIONS.c.id,
    bound=("id", "account_id", "event_type", "priority", "openid", "channel"),
    fallback="none",
    deadline_at=bindparam("now"),
    status="sending",
    attempts=1,
    created_at=bindparam("now"),
    updated_at=bindparam("now"),
)


async def start_custom_send(
    session: AsyncSession,
    *,
    notification_id: str,
    account_id: int,
    origin: str,
    openid: str | None,
    priority: str,
    now: datetime,
    channel: str = "wechat_custom",
) -> bool:
    """Record a custom send (a late reply, hand-over, publication: its ``origin`` is stored as
    the event type) as a ``sending`` notification before it is sent; False when one with that id
    exists already (sent, or attempted before a crash): it must not go out again."""
    inserted = await session.scalar(
        _START.for_session(session),
        {
            "id": notification_id,
            "account_id": account_id,
            "event_type": origin[:64],
            "priority": priority,
            "openid": openid,
            "channel": channel,
            "now": now,
        },
    )
    return inserted is not None


async def forget_custom_send(session: AsyncSession, *, notification_id: str) -> None:
    """Drop the record of a custom send that was certainly not sent, so a retry may send it."""
    await session.execute(delete(Notification).where(Notification.id == notification_id))
