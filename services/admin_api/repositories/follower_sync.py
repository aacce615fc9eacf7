"""Follower sync jobs and the customer rows they write."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Customer, FollowerSyncJob, utcnow


async def get_running(session: AsyncSession, *, account_id: int) -> FollowerSyncJob | None:
    """The account's job still running, if any."""
    return await session.scalar(
        select(FollowerSyncJob).where(
            FollowerSyncJob.account_id == account_id, FollowerSyncJob.status == "running"
        )
    )


async def get_latest(session: AsyncSession, *, account_id: int) -> FollowerSyncJob | None:
    """The account's most recent job."""
    return await session.scalar(
        select(FollowerSyncJob)
        .where(FollowerSyncJob.account_id == account_id)
        .order_by(FollowerSyncJob.id.desc())
        .limit(1)
    )


async def fail_running(session: AsyncSession, *, reason: str) -> int:
    """Mark every running job failed with ``reason``; returns how many."""
    result = await session.execute(
        update(FollowerSyncJob)
        .where(FollowerSyncJob.status == "running")
        .values(status="failed", error=reason, finished_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _subscribed_at(profile: dict[str, Any]) -> datetime | None:
    stamp = profile.get("subscribe_time")
    return datetime.fromtimestamp(stamp, UTC) if isinstance(stamp, int) and stamp > 0 else None


async def upsert_followers(
    session: AsyncSession, *, account_id: int, job_id: int, profiles: Sequence[dict[str, Any]]
) -> tuple[int, int]:
    """Create customer rows for new openids and refresh the subscription state of known ones
    (nothing else of theirs: bindings and phones stay), each noted as seen by ``job_id``;
    returns (created, updated)."""
    by_openid = {p["openid"]: p for p in profiles if isinstance(p.get("openid"), str)}
    existing = {
        c.openid: c
        for c in await session.scalars(
            select(Customer).where(
                Customer.account_id == account_id, Customer.openid.in_(list(by_openid))
            )
        )
    }
    created = updated = 0
    for openid, profile in by_openid.items():
        subscribed = profile.get("subscribe") == 1
        customer = existing.get(openid)
        if customer is None:
            session.add(
                Customer(
                    account_id=account_id,
                    openid=openid,
                    subscribed=subscribed,
                    subscribed_at=_subscribed_at(profile),
                    subscribe_scene=str(profile.get("subscribe_scene") or "")[:128],
                    seen_by_sync_job=job_id,
                )
            )
            created += 1
            continue
        changed = customer.subscribed != subscribed
        customer.subscribed = subscribed
        customer.seen_by_sync_job = job_id
        if subscribed and customer.subscribed_at is None:
            customer.subscribed_at = _subscribed_at(profile)
            changed = True
        updated += changed
    await session.flush()
    return created, updated


async def mark_missing(
    session: AsyncSession, *, account_id: int, job_id: int, started_at: datetime
) -> int:
    """Customers subscribed here whom job ``job_id`` did not find among the followers are no
    longer following: unsubscribed, a binding suspended (R-EN-7); returns how many.

    Only for a job that read the whole list. Whoever subscribed or interacted since the job
    started is spared: they may have followed after their page was read.
    """
    now = utcnow()
    result = await session.execute(
        update(Customer)
        .where(
            Customer.account_id == account_id,
            Customer.subscribed.is_(True),
            or_(Customer.seen_by_sync_job.is_(None), Customer.seen_by_sync_job != job_id),
            or_(Customer.subscribed_at.is_(None), Customer.subscribed_at < started_at),
            or_(
                Customer.last_interaction_at.is_(None),
                Customer.last_interaction_at < started_at,
            ),
        )
        .values(
            subscribed=False,
            unsubscribed_at=now,
            binding_state=case(
                (Customer.binding_state == "bound", "suspended"),
                else_=Customer.binding_state,
            ),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
