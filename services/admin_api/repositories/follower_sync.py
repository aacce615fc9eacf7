"""Follower sync jobs and the customer rows they write."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
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
    session: AsyncSession, *, account_id: int, profiles: Sequence[dict[str, Any]]
) -> tuple[int, int]:
    """Create customer rows for new openids and refresh the subscription state of known ones
    (nothing else of theirs: bindings and phones stay); returns (created, updated)."""
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
                )
            )
            created += 1
            continue
        changed = customer.subscribed != subscribed
        customer.subscribed = subscribed
        if subscribed and customer.subscribed_at is None:
            customer.subscribed_at = _subscribed_at(profile)
            changed = True
        updated += changed
    await session.flush()
    return created, updated
