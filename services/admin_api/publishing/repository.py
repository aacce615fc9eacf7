"""Queries over publications, their recipients and the delivery outcomes the dispatcher recorded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import AdminUser, Notification, Org, Publication, PublicationRecipient
from services.admin_api.listing import ListParams, paginate
from services.admin_api.publishing.status import RecipientStatus, Status
from services.admin_api.scope import Principal

_SORT = {
    "id": Publication.id,
    "created_at": Publication.created_at,
    "scheduled_at": Publication.scheduled_at,
    "status": Publication.status,
}


async def list_publications(
    session: AsyncSession,
    *,
    principal: Principal,
    params: ListParams,
    status: str | None = None,
    kind: str | None = None,
    account_id: int | None = None,
) -> tuple[list[Publication], int]:
    """One page of the publications of the caller's subtree, and how many match."""
    stmt = select(Publication).where(principal.org_clause(Publication.org_id))
    if status:
        stmt = stmt.where(Publication.status == status)
    if kind:
        stmt = stmt.where(Publication.kind == kind)
    if account_id is not None:
        stmt = stmt.where(Publication.account_id == account_id)
    return await paginate(
        session,
        stmt,
        params,
        sortable=_SORT,
        default_sort=[Publication.id.desc()],
        search=[Publication.title, Publication.text],
    )


async def get_author_org(session: AsyncSession, *, publication: Publication) -> Org | None:
    """The organisation of the publication's author (None when the author is gone)."""
    author = await session.get(AdminUser, publication.author_id)
    return await session.get(Org, author.org_id) if author else None


async def list_recipients(
    session: AsyncSession, *, publication_id: int, params: ListParams, status: str | None = None
) -> tuple[list[tuple[PublicationRecipient, Notification | None]], int]:
    """One page of a publication's recipients, each with its dispatcher notification row (keyed
    by the message id; None before one is recorded), and how many match."""
    stmt = select(PublicationRecipient).where(PublicationRecipient.publication_id == publication_id)
    if status is not None:
        stmt = stmt.where(PublicationRecipient.status == status)
    items, total = await paginate(
        session,
        stmt,
        params,
        default_sort=[PublicationRecipient.id],
        sortable={"id": PublicationRecipient.id, "openid": PublicationRecipient.openid},
        search=[PublicationRecipient.openid],
    )
    ids = [r.message_id for r in items if r.message_id]
    outcomes = (
        {
            n.id: n
            for n in await session.scalars(select(Notification).where(Notification.id.in_(ids)))
        }
        if ids
        else {}
    )
    return [(r, outcomes.get(r.message_id) if r.message_id else None) for r in items], total


async def count_outcomes(
    session: AsyncSession, *, publication_id: int
) -> list[tuple[str, str | None, int]]:
    """(queue state, delivery status or None, count) over a publication's recipients."""
    rows = await session.execute(
        select(PublicationRecipient.status, Notification.status, func.count())
        .outerjoin(Notification, Notification.id == PublicationRecipient.message_id)
        .where(PublicationRecipient.publication_id == publication_id)
        .group_by(PublicationRecipient.status, Notification.status)
    )
    return [(queue_state, delivery_state, count) for queue_state, delivery_state, count in rows]


async def sum_mass_reach(
    session: AsyncSession, *, publication_id: int
) -> tuple[int, int, int, int, int, int]:
    """(mass sends, of them reported, total, filtered, sent, errors) over a publication's mass
    sends, from the counts WeChat's MASSSENDJOBFINISH reported on the dispatcher's rows."""
    jobs = (
        select(PublicationRecipient.message_id)
        .where(PublicationRecipient.publication_id == publication_id)
        .distinct()
    )
    n = Notification
    row = (
        await session.execute(
            select(
                func.count(),
                func.count(n.reach_total),
                func.coalesce(func.sum(n.reach_total), 0),
                func.coalesce(func.sum(n.reach_filtered), 0),
                func.coalesce(func.sum(n.reach_sent), 0),
                func.coalesce(func.sum(n.reach_errors), 0),
            ).where(n.id.in_(jobs), n.channel == "wechat_mass")
        )
    ).one()
    jobs_n, reported, total, filtered, sent, errors = (int(v or 0) for v in row)
    return jobs_n, reported, total, filtered, sent, errors


async def list_pending_recipients(
    session: AsyncSession, *, publication_id: int, limit: int
) -> list[PublicationRecipient]:
    """The next ``limit`` recipients not yet queued on the bus, in recording order."""
    return list(
        await session.scalars(
            select(PublicationRecipient)
            .where(
                PublicationRecipient.publication_id == publication_id,
                PublicationRecipient.status == RecipientStatus.PENDING,
            )
            .order_by(PublicationRecipient.id)
            .limit(limit)
        )
    )


async def list_due_ids(session: AsyncSession, *, now: datetime) -> Sequence[int]:
    """Scheduled publications whose time has come."""
    rows = await session.scalars(
        select(Publication.id).where(
            Publication.status == Status.SCHEDULED,
            (Publication.scheduled_at.is_(None)) | (Publication.scheduled_at <= now),
        )
    )
    return list(rows)


async def list_stale_ids(session: AsyncSession, *, stale_before: datetime) -> Sequence[int]:
    """Publications left in ``sending`` since before ``stale_before`` (their sender died)."""
    rows = await session.scalars(
        select(Publication.id).where(
            Publication.status == Status.SENDING, Publication.updated_at <= stale_before
        )
    )
    return list(rows)
