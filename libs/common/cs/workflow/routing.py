"""Where a session goes: a follower's request queues it in a group (or finds the open one), a
transfer hands it to another agent (kept assigned) or group (queued there, at the head)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.cs import texts
from libs.common.cs.effects import Effects
from libs.common.cs.workflow.assignment import assign, assign_waiting
from libs.common.cs.workflow.lookups import get_open, queue_position
from libs.common.cs.workflow.records import Strategy, event_fields, feed, open_key
from libs.common.cs.workflow.windows import notice
from libs.common.db.models import AdminUser, CsAgent, CsSession
from libs.common.schemas.events import CsQueued, CsTransferred


@dataclass(frozen=True, slots=True)
class Requested:
    """What asking for a person did: the session, how many wait before it, whether it is new."""

    session: CsSession
    ahead: int
    created: bool
    effects: Effects


async def request(
    session: AsyncSession,
    *,
    account_id: int,
    openid: str,
    group: str,
    now: datetime,
    strategy: Strategy,
    quota: int,
    step: int = 0,
) -> Requested:
    """The follower asks for a person: queue a new session (or find the open one) and assign
    whatever the group's free agents can take."""
    existing = await get_open(session, account_id=account_id, openid=openid)
    if existing is not None:
        return Requested(existing, await queue_position(session, existing), False, Effects())
    cs = CsSession(
        account_id=account_id,
        openid=openid,
        group=group,
        state="queued",
        open_key=open_key(account_id, openid),
        queued_at=now,
        last_customer_at=now,
        last_activity_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(cs)
    except IntegrityError:
        # Another process opened the follower's session a moment ago: use that one.
        existing = await get_open(session, account_id=account_id, openid=openid)
        assert existing is not None
        return Requested(existing, await queue_position(session, existing), False, Effects())
    ahead = await queue_position(session, cs)
    effects = Effects(events=[CsQueued(**await event_fields(session, cs), position=ahead + 1)])
    effects.extend(
        await assign_waiting(
            session, group=group, now=now, strategy=strategy, quota=quota, step=step, quiet=cs.id
        )
    )
    # The passive reply tells the place as it is after this round of assignments.
    ahead = await queue_position(session, cs) if cs.state == "queued" else 0
    cs.announced_ahead = ahead
    return Requested(cs, ahead, True, effects)


async def transfer(
    session: AsyncSession,
    cs: CsSession,
    *,
    to_agent_id: int | None,
    to_group: str | None,
    note: str,
    now: datetime,
    strategy: Strategy,
    quota: int,
    step: int = 0,
) -> Effects:
    """Hand the session to another agent (kept assigned) or group (queued there, at the head)."""
    from_agent = cs.agent_id
    group = to_group or cs.group
    base = await event_fields(session, cs)
    effects = Effects(
        events=[
            CsTransferred(
                **base, from_agent_id=from_agent, to_agent_id=to_agent_id, to_group=group, note=note
            )
        ]
    )
    cs.note = note
    cs.group = group
    if from_agent is not None:
        effects.feed.append(feed(session, from_agent, "transferred_away", cs, note=note))
    if to_agent_id is not None:
        agent = await session.get(CsAgent, to_agent_id, with_for_update=True)
        user = await session.get(AdminUser, to_agent_id)
        if agent is None or user is None:
            raise LookupError("not an agent")
        cs.state = "assigned"
        cs.agent_id = None
        await session.flush()
        effects.extend(
            await assign(
                session, cs, agent, user.display_name or user.username, now=now, quota=quota
            )
        )
        effects.feed[-1].payload = {**effects.feed[-1].payload, "note": note}
    else:
        cs.state = "queued"
        cs.agent_id = None
        cs.requeued = True
        await session.flush()
        effects.notices.extend(
            await notice(
                session,
                cs,
                texts.TRANSFERRED,
                key=f"transfer{int(now.timestamp() * 1000)}",
                now=now,
                quota=quota,
            )
        )
        effects.extend(
            await assign_waiting(
                session, group=group, now=now, strategy=strategy, quota=quota, step=step
            )
        )
    if from_agent is not None:
        effects.extend(
            await assign_waiting(
                session, group=base["group"], now=now, strategy=strategy, quota=quota, step=step
            )
        )
    return effects
