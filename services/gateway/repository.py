"""The gateway's typed queries: accounts, notifications, their history and CSV jobs.

Functions take the session first and never commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.customer_numbers import tokens_of
from libs.common.db.models import (
    Account,
    Customer,
    Notification,
    NotificationEvent,
    NotificationJob,
)
from libs.common.phones import contact_phone
from libs.common.secret_box import SecretBox

# ``reason`` of a row whose publish was not confirmed: the next idempotent retry republishes it.
PUBLISH_FAILED = "publish_failed"

_NOTIFICATIONS_INSERT = insert(cast(Table, Notification.__table__))
_EVENTS_INSERT = insert(cast(Table, NotificationEvent.__table__))


@dataclass(frozen=True, slots=True)
class ExistingNotification:
    """What idempotent replays need of a row already stored under a key."""

    id: str
    idempotency_key: str
    account_id: int
    event_type: str
    status: str
    reason: str | None
    priority: str
    openid: str | None
    deadline_at: datetime
    job_id: str | None
    # Last stored or republished: a duplicate of a row quiet since then publishes it again.
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CustomerContact:
    """A follower's ways to be reached."""

    openid: str
    customer_no: str | None
    phone: str | None


async def create_many(
    session: AsyncSession,
    *,
    notifications: Sequence[Mapping[str, Any]],
    events: Sequence[Mapping[str, Any]],
) -> None:
    """Insert notification rows and their first history events (one statement per table).

    On the core tables: the ORM's bulk insert would map every row through the mapper first, a
    cost on each single ``POST /api/v1/notifications``; the rows are plain column dicts already.
    """
    if notifications:
        await session.execute(_NOTIFICATIONS_INSERT, list(notifications))
    if events:
        await session.execute(_EVENTS_INSERT, list(events))


async def list_by_idempotency_keys(
    session: AsyncSession, *, system_id: int, keys: Collection[str]
) -> list[ExistingNotification]:
    """Rows a system already stored under any of ``keys``."""
    if not keys:
        return []
    n = Notification
    rows = await session.execute(
        select(
            n.id,
            n.idempotency_key,
            n.account_id,
            n.event_type,
            n.status,
            n.reason,
            n.priority,
            n.openid,
            n.deadline_at,
            n.job_id,
            n.updated_at,
        ).where(n.system_id == system_id, n.idempotency_key.in_(list(keys)))
    )
    return [
        ExistingNotification(
            id=row.id,
            idempotency_key=row.idempotency_key or "",
            account_id=row.account_id,
            event_type=row.event_type,
            status=row.status,
            reason=row.reason,
            priority=row.priority,
            openid=row.openid,
            deadline_at=row.deadline_at,
            job_id=row.job_id,
            updated_at=row.updated_at,
        )
        for row in rows.all()
    ]


async def list_customers(
    session: AsyncSession,
    *,
    box: SecretBox,
    account_id: int,
    customer_nos: Collection[str] = (),
    openids: Collection[str] = (),
) -> list[CustomerContact]:
    """Followers of an account matching any of the customer numbers (by their lookup tokens)
    or openids (phones decrypted; the number is the one asked for, never decrypted)."""
    by_token = tokens_of(box, customer_nos)
    conditions = []
    if by_token:
        conditions.append(Customer.customer_no_token.in_(list(by_token)))
    if openids:
        conditions.append(Customer.openid.in_(list(openids)))
    if not conditions:
        return []
    rows = await session.execute(
        select(
            Customer.openid, Customer.customer_no_token, Customer.phone, Customer.phone_enc
        ).where(Customer.account_id == account_id, or_(*conditions))
    )
    return [
        CustomerContact(
            row.openid,
            by_token.get(row.customer_no_token or ""),
            contact_phone(box, row.phone_enc, row.phone),
        )
        for row in rows.all()
    ]


async def mark_publish_failed(
    session: AsyncSession, *, ids: Collection[str], detail: str, now: datetime
) -> None:
    """Flag accepted rows whose bus publish was not confirmed, with a history event."""
    if not ids:
        return
    await session.execute(
        update(Notification)
        .where(Notification.id.in_(list(ids)), Notification.status == "accepted")
        .values(reason=PUBLISH_FAILED, updated_at=now)
    )
    await session.execute(
        insert(NotificationEvent),
        [{"notification_id": i, "at": now, "status": "accepted", "detail": detail} for i in ids],
    )


async def clear_publish_failed(
    session: AsyncSession, *, ids: Collection[str], now: datetime
) -> None:
    """Unflag rows whose republish was confirmed, with a history event."""
    if not ids:
        return
    await session.execute(
        update(Notification)
        .where(Notification.id.in_(list(ids)), Notification.reason == PUBLISH_FAILED)
        .values(reason=None, updated_at=now)
    )
    await session.execute(
        insert(NotificationEvent),
        [
            {"notification_id": i, "at": now, "status": "accepted", "detail": "republished"}
            for i in ids
        ],
    )


async def get_for_system(
    session: AsyncSession, *, notification_id: str, system_id: int
) -> Notification | None:
    """A notification, only if the given system sent it."""
    return await session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.system_id == system_id
        )
    )


async def list_events(session: AsyncSession, *, notification_id: str) -> list[NotificationEvent]:
    """A notification's history, oldest first."""
    rows = await session.scalars(
        select(NotificationEvent)
        .where(NotificationEvent.notification_id == notification_id)
        .order_by(NotificationEvent.at, NotificationEvent.id)
    )
    return list(rows.all())


async def create_job(session: AsyncSession, *, job: NotificationJob) -> NotificationJob:
    """Store a new CSV job."""
    session.add(job)
    await session.flush()
    return job


async def update_job(
    session: AsyncSession,
    *,
    job_id: str,
    accepted_rows: int,
    failed_rows: int,
    errors: list[Any],
    status: str,
    now: datetime,
) -> None:
    """Record a job's progress (absolute counts) and status."""
    await session.execute(
        update(NotificationJob)
        .where(NotificationJob.id == job_id)
        .values(
            accepted_rows=accepted_rows,
            failed_rows=failed_rows,
            errors=errors,
            status=status,
            updated_at=now,
        )
    )


async def get_job_for_system(
    session: AsyncSession, *, job_id: str, system_id: int
) -> NotificationJob | None:
    """A CSV job, only if the given system uploaded it."""
    return await session.scalar(
        select(NotificationJob).where(
            NotificationJob.id == job_id, NotificationJob.system_id == system_id
        )
    )


@dataclass(frozen=True, slots=True)
class Unpublished:
    """An ``accepted`` notification that may never have reached the bus."""

    id: str
    account: str
    openid: str | None
    priority: str
    job_id: str | None
    reason: str | None


async def list_unpublished(
    session: AsyncSession, *, untouched_since: datetime, limit: int
) -> list[Unpublished]:
    """``accepted`` rows flagged ``publish_failed`` or neither stored nor republished since
    ``untouched_since``, oldest first."""
    n = Notification
    rows = await session.execute(
        select(n.id, Account.code, n.openid, n.priority, n.job_id, n.reason)
        .join(Account, Account.id == n.account_id)
        .where(
            n.status == "accepted",
            or_(n.reason == PUBLISH_FAILED, n.updated_at < untouched_since),
        )
        .order_by(n.created_at)
        .limit(limit)
    )
    return [Unpublished(*row) for row in rows]


async def touch(session: AsyncSession, *, ids: Collection[str], now: datetime) -> None:
    """Mark rows as just republished, so a sweep moves on to the next ones."""
    if ids:
        await session.execute(
            update(Notification)
            .where(Notification.id.in_(list(ids)), Notification.status == "accepted")
            .values(updated_at=now)
        )


async def list_enabled_accounts(session: AsyncSession) -> Sequence[Account]:
    """Every enabled account."""
    return (await session.scalars(select(Account).where(Account.enabled))).all()
