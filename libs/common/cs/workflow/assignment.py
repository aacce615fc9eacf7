"""Giving queued sessions to agents: the online agents' seats (locked, so no cap is passed when
two processes assign at once), the pick by strategy, the assignment itself, and the new places
told to the followers still waiting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.cs import texts
from libs.common.cs.effects import Effects
from libs.common.cs.workflow.records import Strategy, event_fields, feed, session_view
from libs.common.cs.workflow.windows import notice, window_left
from libs.common.db.models import AdminUser, CsAgent, CsSession
from libs.common.schemas.events import CsAssigned

# Sends of the window queue-position notices leave for the assignment notice and the agent.
POSITION_RESERVE = 2


@dataclass(slots=True)
class _Seat:
    agent: CsAgent
    name: str
    open: int


async def _seats(session: AsyncSession, *, group: str) -> list[_Seat]:
    """Online agents of ``group`` locked for assignment, with their names and open sessions."""
    rows = (
        await session.execute(
            select(CsAgent, AdminUser.display_name, AdminUser.username)
            .join(AdminUser, AdminUser.id == CsAgent.user_id)
            .where(CsAgent.status == "online", AdminUser.is_active.is_(True))
            .order_by(CsAgent.user_id)
            .with_for_update(of=CsAgent)
        )
    ).all()
    agents = [(agent, name or username) for agent, name, username in rows if group in agent.groups]
    if not agents:
        return []
    counts: dict[int | None, int] = {
        agent_id: int(count)
        for agent_id, count in (
            await session.execute(
                select(CsSession.agent_id, func.count())
                .where(
                    CsSession.state == "assigned",
                    CsSession.agent_id.in_([agent.user_id for agent, _ in agents]),
                )
                .group_by(CsSession.agent_id)
            )
        ).all()
    }
    return [_Seat(agent, name, counts.get(agent.user_id, 0)) for agent, name in agents]


def _queue(group: str) -> Select[CsSession]:
    """The queued sessions of ``group`` in the order they are served: requeued ones first."""
    return (
        select(CsSession)
        .where(CsSession.group == group, CsSession.state == "queued")
        .order_by(CsSession.requeued.desc(), CsSession.queued_at, CsSession.id)
    )


def _pick(seats: list[_Seat], strategy: Strategy) -> _Seat | None:
    free = [seat for seat in seats if seat.open < seat.agent.cap]
    if not free:
        return None

    def last(seat: _Seat) -> float:
        at = seat.agent.last_assigned_at
        return at.timestamp() if at is not None else 0.0

    if strategy == "round_robin":
        return min(free, key=lambda seat: (last(seat), seat.agent.user_id))
    return min(free, key=lambda seat: (seat.open, last(seat), seat.agent.user_id))


async def assign_waiting(
    session: AsyncSession,
    *,
    group: str,
    now: datetime,
    strategy: Strategy,
    quota: int,
    step: int = 0,
    quiet: int | None = None,
) -> Effects:
    """Give queued sessions of ``group`` to online agents with free capacity, head first; then
    tell the others their new place (not ``quiet``, a follower being answered right now)."""
    effects = Effects()
    seats = await _seats(session, group=group)
    room = sum(max(0, seat.agent.cap - seat.open) for seat in seats)
    if room <= 0:
        return effects
    waiting = (
        await session.scalars(_queue(group).limit(room).with_for_update(skip_locked=True))
    ).all()
    for cs in waiting:
        seat = _pick(seats, strategy)
        if seat is None:
            break
        seat.open += 1
        effects.extend(await assign(session, cs, seat.agent, seat.name, now=now, quota=quota))
    if effects.events:
        effects.extend(
            await announce_positions(
                session, group=group, now=now, step=step, quota=quota, quiet=quiet
            )
        )
    return effects


async def announce_positions(
    session: AsyncSession,
    *,
    group: str,
    now: datetime,
    step: int,
    quota: int,
    quiet: int | None = None,
) -> Effects:
    """Tell queued followers their new place once it improved by ``step`` since they were last
    told; two sends of the window stay in reserve for the assignment notice and the agent."""
    effects = Effects()
    if step <= 0:
        return effects
    waiting = (await session.scalars(_queue(group))).all()
    for ahead, cs in enumerate(waiting):
        if cs.id == quiet:
            continue
        told = cs.announced_ahead
        if told is not None and told - ahead < step:
            continue
        if window_left(cs, now=now, quota=quota)[1] <= POSITION_RESERVE:
            continue
        cs.announced_ahead = ahead
        text = texts.NEXT if ahead == 0 else texts.STILL_QUEUED.format(ahead=ahead)
        key = f"pos{ahead}-{int(now.timestamp() * 1000)}"
        effects.notices.extend(await notice(session, cs, text, key=key, now=now, quota=quota))
    return effects


async def assign(
    session: AsyncSession, cs: CsSession, agent: CsAgent, name: str, *, now: datetime, quota: int
) -> Effects:
    """Give ``cs`` to ``agent`` (whose seat the caller holds): the event, the follower's notice
    naming the agent, and the session on the agent's console."""
    reassigned = cs.assigned_at is not None
    cs.state = "assigned"
    cs.agent_id = agent.user_id
    cs.assigned_at = now
    cs.requeued = False
    cs.last_activity_at = now
    agent.last_assigned_at = now
    await session.flush()
    base = await event_fields(session, cs)
    effects = Effects(
        events=[
            CsAssigned(
                **base,
                agent_id=agent.user_id,
                assigned_at=now,
                wait_s=round((now - cs.queued_at).total_seconds(), 3),
                reassigned=reassigned,
            )
        ],
        notices=await notice(
            session,
            cs,
            texts.ASSIGNED.format(agent=name, end="结束"),
            key=f"assigned{agent.user_id}-{int(now.timestamp() * 1000)}",
            now=now,
            quota=quota,
        ),
    )
    effects.feed.append(feed(session, agent.user_id, "assigned", cs, session=session_view(cs)))
    return effects
