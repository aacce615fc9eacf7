"""Customer-service reads and plain writes: seats, sessions, transcripts, canned replies, config.

State changes of a session (accept, send, transfer, close, status) belong to
:mod:`services.admin_api.console` and the shared workflow, not here.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import (
    Account,
    AdminUser,
    CsAgent,
    CsCannedReply,
    CsConfig,
    CsFeedItem,
    CsMessage,
    CsSession,
    CsTicket,
    Customer,
)
from services.admin_api.scope import Principal


async def get_agent(session: AsyncSession, *, user_id: int) -> CsAgent | None:
    """The user's seat, if they have one."""
    return await session.get(CsAgent, user_id)


async def get_or_create_agent(session: AsyncSession, *, user_id: int, cap: int) -> CsAgent:
    """The user's seat, created offline on first use."""
    agent = await session.get(CsAgent, user_id)
    if agent is None:
        agent = CsAgent(user_id=user_id, status="offline", cap=cap, groups=["default"])
        session.add(agent)
        await session.flush()
    return agent


async def list_agents(
    session: AsyncSession, *, principal: Principal
) -> list[tuple[CsAgent, AdminUser]]:
    """Seats of the users in the caller's organisation subtree."""
    rows = await session.execute(
        select(CsAgent, AdminUser)
        .join(AdminUser, AdminUser.id == CsAgent.user_id)
        .where(principal.org_clause(AdminUser.org_id))
        .order_by(CsAgent.user_id)
    )
    return [(agent, user) for agent, user in rows.all()]


async def get_user(session: AsyncSession, *, user_id: int) -> AdminUser | None:
    """An admin user by id."""
    return await session.get(AdminUser, user_id)


async def list_sessions(
    session: AsyncSession,
    *,
    principal: Principal,
    states: list[str],
    agent_id: int | None,
    groups: list[str] | None,
    limit: int = 500,
) -> list[CsSession]:
    """Sessions of the accounts the caller sees: in ``states``, of ``agent_id`` (when given), or
    queued in ``groups`` (when given)."""
    stmt = select(CsSession).where(
        await principal.account_clause(session, CsSession.account_id),
        CsSession.state.in_(states),
    )
    conditions = []
    if agent_id is not None:
        conditions.append(CsSession.agent_id == agent_id)
    if groups is not None:
        conditions.append((CsSession.state == "queued") & CsSession.group.in_(groups))
    if conditions:
        stmt = stmt.where(or_(*conditions))
    stmt = stmt.order_by(CsSession.requeued.desc(), CsSession.queued_at, CsSession.id)
    return list((await session.scalars(stmt.limit(limit))).all())


async def get_session(
    session: AsyncSession, *, session_id: int, for_update: bool = False
) -> CsSession | None:
    """A session by id (``for_update``: read afresh and locked until the transaction ends)."""
    if for_update:
        return await session.get(CsSession, session_id, with_for_update=True)
    return await session.get(CsSession, session_id)


async def lock_session_with_account(
    session: AsyncSession, *, session_id: int
) -> tuple[CsSession | None, str | None]:
    """A session read afresh and locked until the transaction ends, with its account's code
    (one query: every agent's send needs both)."""
    row = (
        await session.execute(
            select(CsSession, Account.code)
            .outerjoin(Account, Account.id == CsSession.account_id)
            .where(CsSession.id == session_id)
            .with_for_update(of=CsSession)
            .execution_options(populate_existing=True)
        )
    ).one_or_none()
    if row is None:
        return None, None
    return row[0], row[1]


async def list_messages(
    session: AsyncSession, *, session_id: int, after: int = 0, limit: int = 1000
) -> list[CsMessage]:
    """A transcript in order, from after the line ``after``."""
    rows = await session.scalars(
        select(CsMessage)
        .where(CsMessage.session_id == session_id, CsMessage.id > after)
        .order_by(CsMessage.id)
        .limit(limit)
    )
    return list(rows.all())


async def list_history(
    session: AsyncSession, *, account_id: int, openid: str, limit: int = 10
) -> list[CsSession]:
    """The follower's latest sessions, newest first."""
    rows = await session.scalars(
        select(CsSession)
        .where(CsSession.account_id == account_id, CsSession.openid == openid)
        .order_by(CsSession.id.desc())
        .limit(limit)
    )
    return list(rows.all())


async def get_account(session: AsyncSession, *, account_id: int) -> Account | None:
    """An account by id."""
    return await session.get(Account, account_id)


async def get_customer(session: AsyncSession, *, account_id: int, openid: str) -> Customer | None:
    """The follower's customer row."""
    return await session.scalar(
        select(Customer).where(Customer.account_id == account_id, Customer.openid == openid)
    )


async def list_canned(
    session: AsyncSession, *, principal: Principal, account_id: int | None
) -> list[CsCannedReply]:
    """The caller's own canned replies and those of the accounts they see."""
    shared = (CsCannedReply.owner_id.is_(None)) & await principal.account_clause(
        session, CsCannedReply.account_id
    )
    stmt = select(CsCannedReply).where(or_(CsCannedReply.owner_id == principal.user_id, shared))
    if account_id is not None:
        stmt = stmt.where(
            or_(CsCannedReply.account_id == account_id, CsCannedReply.account_id.is_(None))
        )
    return list((await session.scalars(stmt.order_by(CsCannedReply.id))).all())


async def get_canned(session: AsyncSession, *, reply_id: int) -> CsCannedReply | None:
    """A canned reply by id."""
    return await session.get(CsCannedReply, reply_id)


async def get_config(session: AsyncSession, *, account_id: int) -> CsConfig | None:
    """An account's customer-service configuration."""
    return await session.get(CsConfig, account_id)


async def list_tickets(
    session: AsyncSession, *, principal: Principal, state: str | None
) -> list[CsTicket]:
    """Messages left outside service hours, on the accounts the caller sees, oldest first."""
    stmt = select(CsTicket).where(await principal.account_clause(session, CsTicket.account_id))
    if state is not None:
        stmt = stmt.where(CsTicket.state == state)
    return list((await session.scalars(stmt.order_by(CsTicket.id).limit(500))).all())


async def get_ticket(session: AsyncSession, *, ticket_id: int) -> CsTicket | None:
    """A ticket by id."""
    return await session.get(CsTicket, ticket_id)


async def list_feed(
    session: AsyncSession, *, agent_id: int, after: int, limit: int = 500
) -> list[CsFeedItem]:
    """What the agent's console missed after the cursor ``after``."""
    rows = await session.scalars(
        select(CsFeedItem)
        .where(CsFeedItem.agent_id == agent_id, CsFeedItem.id > after)
        .order_by(CsFeedItem.id)
        .limit(limit)
    )
    return list(rows.all())


async def latest_feed_id(session: AsyncSession, *, agent_id: int) -> int:
    """The agent's newest feed cursor (0 when empty)."""
    found = await session.scalar(
        select(CsFeedItem.id)
        .where(CsFeedItem.agent_id == agent_id)
        .order_by(CsFeedItem.id.desc())
        .limit(1)
    )
    return int(found or 0)
