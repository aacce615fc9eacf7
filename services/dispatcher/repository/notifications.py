"""Notification status rows: claims, channels, terminal transitions and their history."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import (
    Notification,
    NotificationEvent,
)

TERMINAL = frozenset({"delivered", "fallback_sent", "failed"})
# Core tables for the batched hot-path statements: they skip the ORM's bulk-persistence and
# session-synchronisation work, which profiled at several per cent of the dispatcher's CPU.
_NOTIFICATIONS = cast(Table, Notification.__table__)
_EVENTS = cast(Table, NotificationEvent.__table__)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A notification this worker now owns in status ``sending``."""

    id: str
    account_id: int
    event_type: str
    priority: str
    openid: str | None
    customer_no: str | None
    phone: str | None
    data: dict[str, Any]
    fallback: str
    deadline_at: datetime
    created_at: datetime
    channel: str | None
    attempts: int
    previous: str


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """A history entry to store with the next transition."""

    at: datetime
    status: str
    detail: str
    channel: str | None = None
    errcode: int | None = None


_CLAIM_COLUMNS = (
    Notification.id,
    Notification.account_id,
    Notification.event_type,
    Notification.priority,
    Notification.openid,
    Notification.customer_no,
    Notification.phone,
    Notification.data,
    Notification.fallback,
    Notification.deadline_at,
    Notification.created_at,
    Notification.channel,
    Notification.attempts,
    Notification.reason,
)


async def claim(
    session: AsyncSession, *, notification_id: str, now: datetime, reopen_failed: bool = False
) -> Claimed | None:
    """Move a notification to ``sending`` (from accepted, or resume a crashed ``sending``).

    Returns None when it is not claimable (terminal, or missing). ``reopen_failed`` lets an
    operator's dead-letter replay send a ``failed`` notification again.
    """
    claimable = ["accepted", "sending", *(["failed"] if reopen_failed else [])]
    result = await session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.status.in_(claimable))
        .values(status="sending", attempts=Notification.attempts + 1, updated_at=now)
        .returning(*_CLAIM_COLUMNS)
    )
    row = result.one_or_none()
    return None if row is None else _claimed(row)


def _claimed(row: Any) -> Claimed:
    # attempts was 0 only for a first claim; otherwise a crashed or replayed run resumes.
    previous = "accepted" if row.attempts == 1 else "sending"
    return Claimed(
        id=row.id,
        account_id=row.account_id,
        event_type=row.event_type,
        priority=row.priority,
        openid=row.openid,
        customer_no=row.customer_no,
        phone=row.phone,
        data=dict(row.data or {}),
        fallback=row.fallback,
        deadline_at=row.deadline_at,
        created_at=row.created_at,
        channel=row.channel,
        attempts=row.attempts,
        previous=previous,
    )


async def claim_many(
    session: AsyncSession, *, notification_ids: Sequence[str], now: datetime
) -> dict[str, Claimed]:
    """Claim many notifications in one statement (accepted or crashed ``sending`` ones)."""
    c = _NOTIFICATIONS.c
    result = await session.execute(
        update(_NOTIFICATIONS)
        .where(c.id.in_(list(notification_ids)), c.status.in_(["accepted", "sending"]))
        .values(status="sending", attempts=c.attempts + 1, updated_at=now)
        .returning(*(c[column.key] for column in _CLAIM_COLUMNS))
    )
    return {row.id: _claimed(row) for row in result}


async def get_statuses(session: AsyncSession, *, notification_ids: Sequence[str]) -> dict[str, str]:
    """The statuses of the notifications that exist among ``notification_ids``."""
    c = _NOTIFICATIONS.c
    result = await session.execute(select(c.id, c.status).where(c.id.in_(list(notification_ids))))
    return {row.id: row.status for row in result}


async def get_status(session: AsyncSession, *, notification_id: str) -> str | None:
    """The status of a notification, or None when it does not exist."""
    result = await session.execute(
        select(Notification.status).where(Notification.id == notification_id)
    )
    return result.scalar_one_or_none()


async def set_deadline(
    session: AsyncSession, *, notification_id: str, deadline_at: datetime
) -> None:
    """Give a notification a new deadline (an operator's replay after the old one passed)."""
    await session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(deadline_at=deadline_at)
    )


async def set_channel(session: AsyncSession, *, notification_id: str, channel: str) -> None:
    """Record the channel a ``sending`` notification is being sent on (crash recovery reads it)."""
    await session.execute(
        update(Notification).where(Notification.id == notification_id).values(channel=channel)
    )


async def finish(
    session: AsyncSession,
    *,
    notification_id: str,
    status: str,
    channel: str | None,
    reason: str | None,
    wechat_msgid: str | None,
    now: datetime,
) -> bool:
    """Move a ``sending`` notification to a terminal status; False if it was not ``sending``."""
    result = await session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.status == "sending")
        .values(
            status=status,
            channel=channel,
            reason=reason,
            wechat_msgid=wechat_msgid,
            finished_at=now,
            updated_at=now,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Finish:
    """The terminal transition of one notification, with the history to store with it."""

    notification_id: str
    status: str
    channel: str | None
    reason: str | None
    wechat_msgid: str | None
    events: tuple[PendingEvent, ...]


# PostgreSQL: one UPDATE for the whole batch, the per-row values passed as arrays, so the
# statement text (and its prepared statement) is the same whatever the batch size.
_FINISH_MANY_PG = text(
    """
    UPDATE notifications AS n
    SET status = v.status, channel = v.channel, reason = v.reason,
        wechat_msgid = v.wechat_msgid, finished_at = :now, updated_at = :now
    FROM unnest(
        CAST(:ids AS varchar[]), CAST(:statuses AS varchar[]), CAST(:channels AS varchar[]),
        CAST(:reasons AS text[]), CAST(:msgids AS varchar[])
    ) AS v(id, status, channel, reason, wechat_msgid)
    WHERE n.id = v.id AND n.status = 'sending'
    RETURNING n.id
    """
)


async def finish_many(
    session: AsyncSession, *, finishes: Sequence[Finish], now: datetime
) -> set[str]:
    """Move many ``sending`` notifications to their terminal status and store their history;
    returns the ids actually finished (one not ``sending`` any more keeps its outcome)."""
    if not finishes:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        result = await session.execute(
            _FINISH_MANY_PG,
            {
                "now": now,
                "ids": [f.notification_id for f in finishes],
                "statuses": [f.status for f in finishes],
                "channels": [f.channel for f in finishes],
                "reasons": [f.reason for f in finishes],
                "msgids": [f.wechat_msgid for f in finishes],
            },
        )
        done = {row[0] for row in result}
    else:
        done = set()
        for f in finishes:
            if await finish(
                session,
                notification_id=f.notification_id,
                status=f.status,
                channel=f.channel,
                reason=f.reason,
                wechat_msgid=f.wechat_msgid,
                now=now,
            ):
                done.add(f.notification_id)
    rows = [
        _event_row(f.notification_id, event)
        for f in finishes
        if f.notification_id in done
        for event in f.events
    ]
    if rows:
        await session.execute(insert(_EVENTS), rows)
    return done


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


async def set_channel_many(
    session: AsyncSession, *, notification_ids: Sequence[str], channel: str
) -> None:
    """Record the channel of many ``sending`` notifications."""
    await session.execute(
        update(_NOTIFICATIONS)
        .where(_NOTIFICATIONS.c.id.in_(list(notification_ids)))
        .values(channel=channel)
    )


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
