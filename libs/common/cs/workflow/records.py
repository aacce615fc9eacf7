"""What every state change of a session writes beside it: the fields common to its events, the
console feed items of its agent, the session as the console shows it, and the assignment rule."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Account, CsFeedItem, CsSession

Strategy = Literal["least_busy", "round_robin"]


def open_key(account_id: int, openid: str) -> str:
    """The value that keeps one open session per follower."""
    return f"{account_id}:{openid}"


async def account_code(session: AsyncSession, account_id: int) -> str:
    """The account's code (its id as text once the account is gone).

    Just the column, not the whole account: every agent's send asks for it."""
    code = await session.scalar(select(Account.code).where(Account.id == account_id))
    return code if code is not None else str(account_id)


async def event_fields(
    session: AsyncSession, cs: CsSession, *, account: str | None = None
) -> dict[str, Any]:
    """The fields every customer-service event carries (``account``: the code, when the caller
    read it already)."""
    return {
        "account": account or await account_code(session, cs.account_id),
        "session_id": cs.id,
        "openid": cs.openid,
        "group": cs.group,
        "queued_at": cs.queued_at,
    }


def feed(db: AsyncSession, agent_id: int, kind: str, cs: CsSession, **payload: Any) -> CsFeedItem:
    """A console feed item for the agent, added to the database session."""
    item = CsFeedItem(agent_id=agent_id, kind=kind, session_id=cs.id, payload=payload)
    db.add(item)
    return item


def session_view(cs: CsSession) -> dict[str, Any]:
    """The session as the agent's console shows it."""
    return {
        "id": cs.id,
        "account_id": cs.account_id,
        "openid": cs.openid,
        "group": cs.group,
        "state": cs.state,
        "queued_at": cs.queued_at.isoformat(),
        "last_customer_at": cs.last_customer_at.isoformat(),
    }
