"""Agents coming and going: an agent who leaves gives their sessions back to the head of the
queue, and consoles not seen for a grace period take their agents offline."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.cs.effects import Effects
from libs.common.cs.workflow.assignment import assign_waiting
from libs.common.cs.workflow.records import Strategy, event_fields, feed
from libs.common.db.models import CsAgent, CsSession
from libs.common.schemas.events import CsQueued


async def requeue_agent(
    session: AsyncSession,
    *,
    agent_id: int,
    now: datetime,
    strategy: Strategy,
    quota: int,
    step: int = 0,
) -> Effects:
    """An agent left (offline, or their console gone): their sessions go back to the head of
    their queues, in the order they first queued, and are offered to the others."""
    sessions = (
        await session.scalars(
            select(CsSession)
            .where(CsSession.agent_id == agent_id, CsSession.state == "assigned")
            .order_by(CsSession.queued_at)
            .with_for_update()
        )
    ).all()
    effects = Effects()
    groups: list[str] = []
    for cs in sessions:
        cs.state = "queued"
        cs.agent_id = None
        cs.requeued = True
        effects.events.append(
            CsQueued(**await event_fields(session, cs), position=0, requeued=True)
        )
        effects.feed.append(feed(session, agent_id, "transferred_away", cs, note="offline"))
        if cs.group not in groups:
            groups.append(cs.group)
    await session.flush()
    for group in groups:
        effects.extend(
            await assign_waiting(
                session, group=group, now=now, strategy=strategy, quota=quota, step=step
            )
        )
    return effects


async def mark_consoles_seen(session: AsyncSession, *, agent_ids: list[int], now: datetime) -> None:
    """Record that these agents' consoles are connected."""
    if not agent_ids:
        return
    agents = await session.scalars(select(CsAgent).where(CsAgent.user_id.in_(agent_ids)))
    for agent in agents:
        agent.console_seen_at = now
    await session.flush()


async def release_vanished(
    session: AsyncSession,
    *,
    now: datetime,
    grace_s: float,
    strategy: Strategy,
    quota: int,
    step: int = 0,
) -> Effects:
    """Agents still online or away whose console has been gone longer than ``grace_s`` go
    offline; their sessions go back to the head of the queue (nothing the follower sent is
    lost: it is in the transcript)."""
    gone = (
        await session.scalars(
            select(CsAgent)
            .where(
                CsAgent.status != "offline",
                CsAgent.console_seen_at.is_not(None),
                CsAgent.console_seen_at < now - timedelta(seconds=grace_s),
            )
            .with_for_update(skip_locked=True)
        )
    ).all()
    effects = Effects()
    for agent in gone:
        agent.status = "offline"
        agent.status_at = now
        effects.extend(
            await requeue_agent(
                session,
                agent_id=agent.user_id,
                now=now,
                strategy=strategy,
                quota=quota,
                step=step,
            )
        )
    return effects
