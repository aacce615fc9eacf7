"""Notification status rows: claims, channels, terminal transitions and their history."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, insert, or_, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import (
    Notification,
    NotificationEvent,
)

TERMINAL = frozenset({"delivered", "fallback_sent", "failed", "suppressed"})
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
    # The claim generation, our fencing token: a finish counts only while it still matches.
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


def _claimable(now: datetime, *, reopen_failed: bool = False) -> ColumnElement[bool]:
    """``accepted``, or ``sending`` whose lease expired (its worker died or gave up)."""
    c = _NOTIFICATIONS.c
    expired = and_(c.status == "sending", or_(c.claim_until.is_(None), c.claim_until <= now))
    statuses = ["accepted", *(["failed"] if reopen_failed else [])]
    return or_(c.status.in_(statuses), expired)


async def claim(
    session: AsyncSession,
    *,
    notification_id: str,
    now: datetime,
    lease: timedelta,
    reopen_failed: bool = False,
) -> Claimed | None:
    """Move a notification to ``sending`` for ``lease`` (from accepted, or take over a
    ``sending`` one whose lease expired).

    Returns None when it is not claimable (terminal, leased by another worker, or missing).
    ``reopen_failed`` lets an operator's dead-letter replay send a ``failed`` notification again.
    """
    c = _NOTIFICATIONS.c
    result = await session.execute(
        update(_NOTIFICATIONS)
        .where(c.id == notification_id, _claimable(now, reopen_failed=reopen_failed))
        .values(status="sending", attempts=c.attempts + 1, claim_until=now + lease, updated_at=now)
        .returning(*(c[column.key] for column in _CLAIM_COLUMNS))
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
    session: AsyncSession, *, notification_ids: Sequence[str], now: datetime, lease: timedelta
) -> dict[str, Claimed]:
    """Claim many notifications in one statement for ``lease`` (accepted ones, or ``sending``
    ones whose lease expired)."""
    c = _NOTIFICATIONS.c
    result = await session.execute(
        update(_NOTIFICATIONS)
        .where(c.id.in_(list(notification_ids)), _claimable(now))
        .values(status="sending", attempts=c.attempts + 1, claim_until=now + lease, updated_at=now)
        .returning(*(c[column.key] for column in _CLAIM_COLUMNS))
    )
    return {row.id: _claimed(row) for row in result}


async def renew_leases(
    session: AsyncSession, *, claims: Sequence[tuple[str, int]], until: datetime
) -> int:
    """Extend the leases of the (id, claim generation) pairs still ours; how many were."""
    if not claims:
        return 0
    c = _NOTIFICATIONS.c
    result = await session.execute(
        update(_NOTIFICATIONS)
        .where(tuple_(c.id, c.attempts).in_(list(claims)), c.status == "sending")
        .values(claim_until=until)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def release_lease(session: AsyncSession, *, notification_id: str, claim: int) -> None:
    """Give up a lease at once (its run ended without finishing), so a redelivery resumes."""
    c = _NOTIFICATIONS.c
    await session.execute(
        update(_NOTIFICATIONS)
        .where(c.id == notification_id, c.attempts == claim, c.status == "sending")
        .values(claim_until=None)
    )


@dataclass(frozen=True, slots=True)
class Unclaimed:
    """Why a notification could not be claimed: its status, and a live lease's end."""

    status: str
    claim_until: datetime | None


async def get_statuses(
    session: AsyncSession, *, notification_ids: Sequence[str]
) -> dict[str, Unclaimed]:
    """The statuses (and leases) of the notifications that exist among ``notification_ids``."""
    c = _NOTIFICATIONS.c
    result = await session.execute(
        select(c.id, c.status, c.claim_until).where(c.id.in_(list(notification_ids)))
    )
    return {row.id: Unclaimed(row.status, row.claim_until) for row in result}


async def get_status(session: AsyncSession, *, notification_id: str) -> Unclaimed | None:
    """The status (and lease) of a notification, or None when it does not exist."""
    found = await get_statuses(session, notification_ids=[notification_id])
    return found.get(notification_id)


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
    claim: int | None = None,
) -> bool:
    """Move a ``sending`` notification to a terminal status; False if it was not ``sending``
    (or, given ``claim``, another worker claimed it since)."""
    fenced = [] if claim is None else [Notification.attempts == claim]
    result = await session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.status == "sending", *fenced)
        .values(
            status=status,
            channel=channel,
            reason=reason,
            wechat_msgid=wechat_msgid,
            finished_at=now,
            updated_at=now,
            claim_until=None,
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
    # The claim generation that finishes it (the fencing token of :class:`Claimed`).
    claim: int | None = None


# PostgreSQL: one UPDATE for the whole batch, the per-row values passed as arrays, so the
# statement text (and its prepared statement) is the same whatever the batch size.
_FINISH_MANY_PG = text(
    """
    UPDATE notifications AS n
    SET status = v.status, channel = v.channel, reason = v.reason,
        wechat_msgid = v.wechat_msgid, finished_at = :now, updated_at = :now, claim_until = NULL
    FROM unnest(
        CAST(:ids AS varchar[]), CAST(:statuses AS varchar[]), CAST(:channels AS varchar[]),
        CAST(:reasons AS text[]), CAST(:msgids AS varchar[]), CAST(:claims AS integer[])
    ) AS v(id, status, channel, reason, wechat_msgid, claim)
    WHERE n.id = v.id AND n.status = 'sending' AND (v.claim IS NULL OR n.attempts = v.claim)
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
                "claims": [f.claim for f in finishes],
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
                claim=f.claim,
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
    session: AsyncSession, *, claims: Sequence[tuple[str, int]], channel: str
) -> set[str]:
    """Record the channel of many ``sending`` notifications, each only while the claim
    generation given with it is current; returns the ids recorded."""
    c = _NOTIFICATIONS.c
    result = await session.execute(
        update(_NOTIFICATIONS)
        .where(tuple_(c.id, c.attempts).in_(list(claims)), c.status == "sending")
        .values(channel=channel)
        .returning(c.id)
    )
    return {row.id for row in result}


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
