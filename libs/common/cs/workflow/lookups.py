"""Reading sessions without changing them: the follower's open session, the account's
configuration, places and sizes of the queues, and whether a callback already left a ticket."""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.cs.workflow.records import open_key
from libs.common.db.models import CsConfig, CsSession, CsTicket

OPEN_STATES = ("queued", "assigned")


async def get_open(session: AsyncSession, *, account_id: int, openid: str) -> CsSession | None:
    """The follower's open (queued or assigned) session, if any."""
    return await session.scalar(
        select(CsSession).where(CsSession.open_key == open_key(account_id, openid))
    )


async def get_config(session: AsyncSession, *, account_id: int) -> CsConfig | None:
    """The account's customer-service configuration (``None``: the account has none)."""
    return await session.get(CsConfig, account_id)


async def ticket_exists(session: AsyncSession, *, msg_id: str) -> bool:
    """Whether the callback ``msg_id`` already left a ticket (a redelivery)."""
    found = await session.scalar(select(CsTicket.id).where(CsTicket.msg_id == msg_id))
    return found is not None


async def queue_position(session: AsyncSession, cs: CsSession) -> int:
    """How many queued sessions of the group are served before ``cs``."""
    earlier = or_(
        CsSession.queued_at < cs.queued_at,
        and_(CsSession.queued_at == cs.queued_at, CsSession.id < cs.id),
    )
    if cs.requeued:
        before = and_(CsSession.requeued.is_(True), earlier)
    else:
        before = or_(CsSession.requeued.is_(True), earlier)
    count = await session.scalar(
        select(func.count())
        .select_from(CsSession)
        .where(CsSession.group == cs.group, CsSession.state == "queued", before)
    )
    return int(count or 0)


async def queue_sizes(session: AsyncSession) -> dict[str, int]:
    """Queued sessions per group."""
    rows = await session.execute(
        select(CsSession.group, func.count())
        .where(CsSession.state == "queued")
        .group_by(CsSession.group)
    )
    return {group: int(count) for group, count in rows.all()}
