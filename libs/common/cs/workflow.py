"""Every state change of a customer-service session, on the caller's database session.

```
request ──▶ queued ──assign──▶ assigned ──close──▶ closed ──rate──▶ (rating stored)
               ▲                  │  transfer (agent: stays assigned; group: queued again)
               └── agent offline ─┘  (back at the head of the queue)
```

Functions flush, never commit; each returns the :class:`Effects` to publish after the caller
commits. Assignment locks the candidate agents' rows (``FOR UPDATE`` on PostgreSQL), so two
processes assigning at once never give an agent more sessions than their cap, and skips queued
sessions another process is assigning (``SKIP LOCKED``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.cs import texts
from libs.common.cs.effects import Effects
from libs.common.db.models import (
    Account,
    AdminUser,
    CsAgent,
    CsConfig,
    CsFeedItem,
    CsMessage,
    CsSession,
    CsTicket,
)
from libs.common.schemas.events import (
    CsAssigned,
    CsClosed,
    CsFirstResponse,
    CsQueued,
    CsRated,
    CsTransferred,
)
from libs.common.schemas.outbound import OutboundRequested

Strategy = Literal["least_busy", "round_robin"]
OPEN_STATES = ("queued", "assigned")
# Sends of the window queue-position notices leave for the assignment notice and the agent.
POSITION_RESERVE = 2
# WeChat's customer-service window after a follower's message (docs/wechat-protocol.md §8.2).
WINDOW = timedelta(hours=48)


class WindowClosed(Exception):
    """A message to the follower cannot go out: ``code`` says why (``reason`` in English)."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True, slots=True)
class Requested:
    """What asking for a person did: the session, how many wait before it, whether it is new."""

    session: CsSession
    ahead: int
    created: bool
    effects: Effects


def open_key(account_id: int, openid: str) -> str:
    """The value that keeps one open session per follower."""
    return f"{account_id}:{openid}"


async def get_open(session: AsyncSession, *, account_id: int, openid: str) -> CsSession | None:
    """The follower's open (queued or assigned) session, if any."""
    return await session.scalar(
        select(CsSession).where(CsSession.open_key == open_key(account_id, openid))
    )


async def get_config(session: AsyncSession, *, account_id: int) -> CsConfig | None:
    """The account's customer-service configuration (``None``: the account has none)."""
    return await session.get(CsConfig, account_id)


async def _account_code(session: AsyncSession, account_id: int) -> str:
    account = await session.get(Account, account_id)
    return account.code if account is not None else str(account_id)


async def _base(session: AsyncSession, cs: CsSession) -> dict[str, Any]:
    return {
        "account": await _account_code(session, cs.account_id),
        "session_id": cs.id,
        "openid": cs.openid,
        "group": cs.group,
        "queued_at": cs.queued_at,
    }


def _feed(db: AsyncSession, agent_id: int, kind: str, cs: CsSession, **payload: Any) -> CsFeedItem:
    item = CsFeedItem(agent_id=agent_id, kind=kind, session_id=cs.id, payload=payload)
    db.add(item)
    return item


def _session_view(cs: CsSession) -> dict[str, Any]:
    return {
        "id": cs.id,
        "account_id": cs.account_id,
        "openid": cs.openid,
        "group": cs.group,
        "state": cs.state,
        "queued_at": cs.queued_at.isoformat(),
        "last_customer_at": cs.last_customer_at.isoformat(),
    }


def window_left(cs: CsSession, *, now: datetime, quota: int) -> tuple[float, int]:
    """Seconds left in WeChat's 48-hour window and sends left in it."""
    left_s = (cs.last_customer_at + WINDOW - now).total_seconds()
    return max(0.0, left_s), max(0, quota - cs.window_sends) if left_s > 0 else 0


def check_window(cs: CsSession, *, now: datetime, quota: int) -> None:
    """Refuse a send WeChat would refuse (45015 outside the window, 45047 quota used up)."""
    left_s, sends = window_left(cs, now=now, quota=quota)
    if left_s <= 0:
        raise WindowClosed(
            "the customer's last message is over 48 hours old; "
            "WeChat refuses customer-service messages",
            "window_expired",
        )
    if sends <= 0:
        raise WindowClosed(
            f"{quota} messages were sent since the customer's last message; "
            "wait until the customer writes again",
            "window_quota_used",
        )


async def _notice(
    session: AsyncSession, cs: CsSession, text: str, *, key: str, now: datetime, quota: int
) -> list[OutboundRequested]:
    """A text to the follower inside the window (spent from its quota), recorded in the
    transcript; nothing when WeChat would refuse it."""
    try:
        check_window(cs, now=now, quota=quota)
    except WindowClosed:
        return []
    cs.window_sends += 1
    message_id = f"cs{cs.id}-{key}"
    session.add(
        CsMessage(
            session_id=cs.id, sender="system", at=now, msg_id=message_id, kind="text", content=text
        )
    )
    return [
        OutboundRequested(
            message_id=message_id,
            correlation_id=f"cs:{cs.id}",
            account=await _account_code(session, cs.account_id),
            openid=cs.openid,
            priority="alert",
            origin="cs",
            custom_message={"msgtype": "text", "text": {"content": text}},
        )
    ]


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
    effects = Effects(events=[CsQueued(**await _base(session, cs), position=ahead + 1)])
    effects.extend(
        await assign_waiting(
            session, group=group, now=now, strategy=strategy, quota=quota, step=step, quiet=cs.id
        )
    )
    # The passive reply tells the place as it is after this round of assignments.
    ahead = await queue_position(session, cs) if cs.state == "queued" else 0
    cs.announced_ahead = ahead
    return Requested(cs, ahead, True, effects)


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
        await session.scalars(
            select(CsSession)
            .where(CsSession.group == group, CsSession.state == "queued")
            .order_by(CsSession.requeued.desc(), CsSession.queued_at, CsSession.id)
            .limit(room)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for cs in waiting:
        seat = _pick(seats, strategy)
        if seat is None:
            break
        seat.open += 1
        effects.extend(await _assign(session, cs, seat.agent, seat.name, now=now, quota=quota))
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
    waiting = (
        await session.scalars(
            select(CsSession)
            .where(CsSession.group == group, CsSession.state == "queued")
            .order_by(CsSession.requeued.desc(), CsSession.queued_at, CsSession.id)
        )
    ).all()
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
        effects.notices.extend(await _notice(session, cs, text, key=key, now=now, quota=quota))
    return effects


async def _assign(
    session: AsyncSession, cs: CsSession, agent: CsAgent, name: str, *, now: datetime, quota: int
) -> Effects:
    reassigned = cs.assigned_at is not None
    cs.state = "assigned"
    cs.agent_id = agent.user_id
    cs.assigned_at = now
    cs.requeued = False
    cs.last_activity_at = now
    agent.last_assigned_at = now
    await session.flush()
    base = await _base(session, cs)
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
        notices=await _notice(
            session,
            cs,
            texts.ASSIGNED.format(agent=name, end="结束"),
            key=f"assigned{agent.user_id}-{int(now.timestamp() * 1000)}",
            now=now,
            quota=quota,
        ),
    )
    effects.feed.append(_feed(session, agent.user_id, "assigned", cs, session=_session_view(cs)))
    return effects


async def append_customer(
    session: AsyncSession,
    cs: CsSession,
    *,
    msg_id: str,
    kind: str,
    content: str,
    payload: dict[str, Any],
    now: datetime,
) -> Effects:
    """Add the follower's message to the transcript (once per callback: a redelivered one finds
    its ``msg_id`` taken, in the same statement that inserts) and reopen the window."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    line_id = await session.scalar(
        dialect.insert(CsMessage)
        .values(
            session_id=cs.id,
            sender="customer",
            at=now,
            msg_id=msg_id,
            kind=kind,
            content=content,
            payload=payload,
        )
        .on_conflict_do_nothing(index_elements=["msg_id"])
        .returning(CsMessage.id)
    )
    if line_id is None:
        return Effects()
    cs.last_customer_at = now
    cs.window_sends = 0
    cs.last_activity_at = now
    await session.flush()
    effects = Effects()
    if cs.agent_id is not None and cs.state == "assigned":
        effects.feed.append(
            _feed(
                session,
                cs.agent_id,
                "message",
                cs,
                message={
                    "id": line_id,
                    "sender": "customer",
                    "kind": kind,
                    "content": content,
                    "payload": payload,
                    "at": now.isoformat(),
                },
            )
        )
    return effects


async def append_agent(
    session: AsyncSession,
    cs: CsSession,
    *,
    agent_id: int,
    kind: str,
    content: str,
    custom_message: dict[str, Any],
    payload: dict[str, Any],
    now: datetime,
    quota: int,
) -> tuple[CsMessage, Effects]:
    """An agent's message to the follower: checked against the window, recorded, queued for the
    dispatcher; the first one of a session is its first response."""
    if cs.state != "assigned" or cs.agent_id != agent_id:
        raise WindowClosed("the session is not yours", "not_your_session")
    check_window(cs, now=now, quota=quota)
    cs.window_sends += 1
    cs.last_activity_at = now
    line = CsMessage(
        session_id=cs.id,
        sender="agent",
        agent_id=agent_id,
        at=now,
        kind=kind,
        content=content,
        payload=payload,
    )
    session.add(line)
    await session.flush()
    line.msg_id = f"cs{cs.id}-m{line.id}"
    effects = Effects(
        notices=[
            OutboundRequested(
                message_id=line.msg_id,
                correlation_id=f"cs:{cs.id}",
                account=await _account_code(session, cs.account_id),
                openid=cs.openid,
                priority="alert",
                origin="cs",
                custom_message=custom_message,
            )
        ]
    )
    if cs.first_response_at is None:
        cs.first_response_at = now
        assigned_at = cs.assigned_at or now
        effects.events.append(
            CsFirstResponse(
                **await _base(session, cs),
                agent_id=agent_id,
                assigned_at=assigned_at,
                responded_at=now,
                first_response_s=round((now - assigned_at).total_seconds(), 3),
            )
        )
    await session.flush()
    return line, effects


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
                **await _base(session, cs),
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
        else await _notice(session, cs, text, key="closed", now=now, quota=quota),
    )
    if agent_id is not None:
        effects.feed.append(_feed(session, agent_id, "closed", cs, reason=reason))
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
                **await _base(session, cs),
                agent_id=cs.agent_id,
                rating=rating,
                closed_at=cs.closed_at,
                rated_at=now,
            )
        ]
    )


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
    base = await _base(session, cs)
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
        effects.feed.append(_feed(session, from_agent, "transferred_away", cs, note=note))
    if to_agent_id is not None:
        agent = await session.get(CsAgent, to_agent_id, with_for_update=True)
        user = await session.get(AdminUser, to_agent_id)
        if agent is None or user is None:
            raise LookupError("not an agent")
        cs.state = "assigned"
        cs.agent_id = None
        await session.flush()
        effects.extend(
            await _assign(
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
            await _notice(
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
        effects.events.append(CsQueued(**await _base(session, cs), position=0, requeued=True))
        effects.feed.append(_feed(session, agent_id, "transferred_away", cs, note="offline"))
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
