"""WeChat's delivery reports on notification rows: ``delivered`` → confirmed | blocked |
failed_on_wechat, and a mass send's reach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Notification, NotificationEvent


@dataclass(frozen=True, slots=True)
class Reach:
    """MASSSENDJOBFINISH's counts: total, after WeChat's filter, sent, failed."""

    total: int | None
    filtered: int | None
    sent: int | None
    errors: int | None


@dataclass(frozen=True, slots=True)
class Reported:
    """A notification whose status a report moved on."""

    id: str
    status: str
    channel: str | None
    priority: str
    created_at: datetime
    event_type: str


async def apply_report(
    session: AsyncSession,
    *,
    account_id: int,
    msgid: str,
    status: str,
    detail: str,
    reach: Reach | None,
    now: datetime,
) -> list[Reported] | None:
    """Move the account's ``delivered`` notifications carrying ``msgid`` to ``status`` (with
    ``reach`` for a mass send) and record the step; None when no notification has the msgid
    (yet), an empty list when it was reported before."""
    rows = (
        await session.execute(
            select(
                Notification.id,
                Notification.status,
                Notification.channel,
                Notification.priority,
                Notification.created_at,
                Notification.event_type,
            ).where(Notification.account_id == account_id, Notification.wechat_msgid == msgid)
        )
    ).all()
    if not rows:
        return None
    values: dict[str, object] = {"status": status, "updated_at": now}
    if reach is not None:
        values |= {
            "reach_total": reach.total,
            "reach_filtered": reach.filtered,
            "reach_sent": reach.sent,
            "reach_errors": reach.errors,
        }
    reported: list[Reported] = []
    for row in rows:
        if row.status != "delivered":
            continue
        # Guarded by the status: of two replicas applying the same report, one changes it.
        result = await session.execute(
            update(Notification)
            .where(Notification.id == row.id, Notification.status == "delivered")
            .values(**values)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            continue
        await session.execute(
            insert(NotificationEvent).values(
                notification_id=row.id, at=now, status=status, channel=row.channel, detail=detail
            )
        )
        reported.append(
            Reported(row.id, status, row.channel, row.priority, row.created_at, row.event_type)
        )
    return reported
