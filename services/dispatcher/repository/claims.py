"""Claims and leases: which worker sends a notification now, fenced by its claim generation.

A claim moves ``accepted`` (or ``sending`` with an expired lease) to ``sending`` and bumps
``attempts``, the fencing token every later write of the run carries; the lease is renewed while
the run lasts and released when it ends unfinished, so a redelivery resumes at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Notification

# Core table for the batched hot-path statements: it skips the ORM's bulk-persistence and
# session-synchronisation work, which profiled at several per cent of the dispatcher's CPU.
_NOTIFICATIONS = cast(Table, Notification.__table__)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A notification this worker now owns in status ``sending``."""

    id: str
    account_id: int
    event_type: str
    priority: str
    openid: str | None
    # The recipient's numbers as stored (sealed): opened only where a run needs them.
    customer_no_enc: str | None
    phone_enc: str | None
    data: dict[str, Any]
    fallback: str
    deadline_at: datetime
    created_at: datetime
    channel: str | None
    # The claim generation, our fencing token: a finish counts only while it still matches.
    attempts: int
    previous: str


_CLAIM_COLUMNS = (
    Notification.id,
    Notification.account_id,
    Notification.event_type,
    Notification.priority,
    Notification.openid,
    Notification.customer_no_enc,
    Notification.phone_enc,
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
        customer_no_enc=row.customer_no_enc,
        phone_enc=row.phone_enc,
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
