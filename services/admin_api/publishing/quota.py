"""The monthly mass-send quota ledger: one entry per approved mass send, released on cancel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import MassQuotaEntry, Publication, utcnow
from services.admin_api.errors import QuotaExceeded


def period_of(when: datetime) -> str:
    """The quota period (calendar month, UTC) a send falls in."""
    return f"{when:%Y-%m}"


async def quota_used(session: AsyncSession, account_id: int, period: str) -> int:
    """Mass sends already claimed for the account in the period."""
    used = await session.scalar(
        select(func.coalesce(func.sum(MassQuotaEntry.amount), 0)).where(
            MassQuotaEntry.account_id == account_id, MassQuotaEntry.period == period
        )
    )
    return int(used or 0)


async def quota_ledger(
    session: AsyncSession, account_id: int, period: str
) -> list[tuple[MassQuotaEntry, str]]:
    """The period's claims of the account, oldest first, each with its publication's title."""
    rows = await session.execute(
        select(MassQuotaEntry, Publication.title)
        .join(Publication, Publication.id == MassQuotaEntry.publication_id)
        .where(MassQuotaEntry.account_id == account_id, MassQuotaEntry.period == period)
        .order_by(MassQuotaEntry.created_at, MassQuotaEntry.id)
    )
    return [(entry, title) for entry, title in rows]


async def reserve_quota(
    session: AsyncSession, publication: Publication, limit: int
) -> MassQuotaEntry | None:
    """Claim one mass send of the month; refuse beyond ``limit`` (only ``mass`` kinds count)."""
    if publication.kind != "mass":
        return None
    period = period_of(publication.scheduled_at or utcnow())
    used = await quota_used(session, publication.account_id, period)
    if used + 1 > limit:
        raise QuotaExceeded(
            f"mass-send quota for {period} is used up ({used}/{limit})",
            period=period,
            used=used,
            limit=limit,
        )
    entry = MassQuotaEntry(
        account_id=publication.account_id, period=period, publication_id=publication.id
    )
    session.add(entry)
    await session.flush()
    return entry


async def release_quota(session: AsyncSession, publication: Publication) -> None:
    """Give back a cancelled send's claim."""
    entry = await session.scalar(
        select(MassQuotaEntry).where(MassQuotaEntry.publication_id == publication.id)
    )
    if entry is not None:
        await session.delete(entry)
        await session.flush()
