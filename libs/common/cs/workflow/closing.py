"""The end of a session and what follows it: closing (by the agent, the follower, or idleness),
the follower's own closing reply, and the 1–5 rating asked for at the close."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.cs import texts
from libs.common.cs.effects import Effects
from libs.common.cs.workflow.assignment import assign_waiting
from libs.common.cs.workflow.records import Strategy, event_fields, feed
from libs.common.cs.workflow.windows import notice
from libs.common.db.models import CsConfig, CsSession
from libs.common.schemas.events import CsClosed, CsRated


async def close(
    session: AsyncSession,
    cs: CsSession,
    *,
    reason: str,
    now: datetime,
    strategy: Strategy,
    quota: int,
    step: int = 0,
    rating_window_s: float,
) -> Effects:
    """End the session: tell the follower, ask for a rating, free the agent's seat."""
    if cs.state == "closed":
        return Effects()
    agent_id, group, was_assigned = cs.agent_id, cs.group, cs.state == "assigned"
    cs.state = "closed"
    cs.open_key = None
    cs.closed_at = now
    cs.close_reason = reason
    cs.last_activity_at = now
    # A follower who unfollowed ("left") can receive nothing: no notice, no rating question.
    ask = was_assigned and reason != "left"
    if ask:
        cs.rating_until = now + timedelta(seconds=rating_window_s)
    text = texts.CLOSED.get(reason, texts.CLOSED["agent"])
    if ask:
        text = f"{text}\n{texts.RATING_ASK}"
    await session.flush()
    effects = Effects(
        events=[
            CsClosed(
                **await event_fields(session, cs),
                reason=reason,
                agent_id=agent_id,
                assigned_at=cs.assigned_at,
                closed_at=now,
                duration_s=round((now - cs.queued_at).total_seconds(), 3),
            )
        ],
        # The follower's own "结束" is answered by the passive reply instead.
        notices=[]
        if reason in ("customer", "left")
        else await notice(session, cs, text, key="closed", now=now, quota=quota),
    )
    if agent_id is not None:
        effects.feed.append(feed(session, agent_id, "closed", cs, reason=reason))
    if was_assigned:
        effects.extend(
            await assign_waiting(
                session, group=group, now=now, strategy=strategy, quota=quota, step=step
            )
        )
    return effects


def closing_reply(reason: str, *, asked: bool) -> str:
    """What the follower reads when they ended the session themselves."""
    text = texts.CLOSED[reason]
    return f"{text}\n{texts.RATING_ASK}" if asked else text


async def get_awaiting_rating(
    session: AsyncSession, *, account_id: int, openid: str, now: datetime
) -> CsSession | None:
    """The follower's latest closed session still waiting for its rating."""
    return await session.scalar(
        select(CsSession)
        .where(
            CsSession.account_id == account_id,
            CsSession.openid == openid,
            CsSession.state == "closed",
            CsSession.rating.is_(None),
            CsSession.rating_until > now,
        )
        .order_by(CsSession.closed_at.desc())
        .limit(1)
    )


async def rate(session: AsyncSession, cs: CsSession, *, rating: int, now: datetime) -> Effects:
    """Store the follower's 1–5 rating."""
    if not 1 <= rating <= 5:
        raise ValueError("a rating is 1 to 5")
    cs.rating = rating
    cs.rated_at = now
    cs.rating_until = None
    await session.flush()
    return Effects(
        events=[
            CsRated(
                **await event_fields(session, cs),
                agent_id=cs.agent_id,
                rating=rating,
                closed_at=cs.closed_at,
                rated_at=now,
            )
        ]
    )


async def close_idle(
    session: AsyncSession,
    *,
    now: datetime,
    default_timeout_s: float,
    strategy: Strategy,
    quota: int,
    step: int = 0,
    rating_window_s: float,
    limit: int = 200,
) -> Effects:
    """Close assigned sessions nobody spoke in for the account's idle timeout (R-PERF-4)."""
    shortest = await session.scalar(select(func.min(CsConfig.idle_timeout_s)))
    floor = min(default_timeout_s, float(shortest)) if shortest is not None else default_timeout_s
    rows = (
        await session.execute(
            select(CsSession, CsConfig.idle_timeout_s)
            .outerjoin(CsConfig, CsConfig.account_id == CsSession.account_id)
            .where(
                CsSession.state == "assigned",
                CsSession.last_activity_at < now - timedelta(seconds=floor),
            )
            .order_by(CsSession.last_activity_at)
            .limit(limit)
            .with_for_update(of=CsSession, skip_locked=True)
        )
    ).all()
    effects = Effects()
    for cs, timeout_s in rows:
        limit_s = float(timeout_s) if timeout_s is not None else default_timeout_s
        if (now - cs.last_activity_at).total_seconds() < limit_s:
            continue
        effects.extend(
            await close(
                session,
                cs,
                reason="idle",
                now=now,
                strategy=strategy,
                quota=quota,
                step=step,
                rating_window_s=rating_window_s,
            )
        )
    return effects
