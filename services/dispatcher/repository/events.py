"""A notification's history: entries appended with each transition, listed oldest first."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import NotificationEvent

# Core table: a batch of history rows is one executemany, without the ORM's bookkeeping.
_EVENTS = cast(Table, NotificationEvent.__table__)


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """A history entry to store with the next transition."""

    at: datetime
    status: str
    detail: str
    channel: str | None = None
    errcode: int | None = None


def _event_row(notification_id: str, event: PendingEvent) -> dict[str, Any]:
    return {
        "notification_id": notification_id,
        "at": event.at,
        "status": event.status,
        "channel": event.channel,
        "detail": event.detail,
        "errcode": event.errcode,
    }


async def add_events_many(
    session: AsyncSession, *, events: Iterable[tuple[str, PendingEvent]]
) -> None:
    """Append history entries to many notifications (one executemany)."""
    rows = [_event_row(nid, event) for nid, event in events]
    if rows:
        await session.execute(insert(_EVENTS), rows)


async def add_events(
    session: AsyncSession, *, notification_id: str, events: Iterable[PendingEvent]
) -> None:
    """Append history entries to a notification."""
    await add_events_many(session, events=((notification_id, event) for event in events))


async def list_events(
    session: AsyncSession, *, notification_id: str
) -> Sequence[NotificationEvent]:
    """The history of a notification, oldest first."""
    result = await session.execute(
        select(NotificationEvent)
        .where(NotificationEvent.notification_id == notification_id)
        .order_by(NotificationEvent.id)
    )
    return result.scalars().all()
