"""The transcript: the follower's messages (recorded once per callback, reopening the window) and
the agents' (checked against the window, queued for the dispatcher, the first one timed)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.cs.effects import Effects
from libs.common.cs.workflow.records import account_code, event_fields, feed
from libs.common.cs.workflow.windows import WindowClosed, check_window
from libs.common.db.models import CsMessage, CsSession
from libs.common.db.prepared import insert_unless_taken
from libs.common.schemas.events import CsFirstResponse
from libs.common.schemas.outbound import OutboundRequested

# Built once, on the core table: every message a follower sends in a session is one insert.
_LINES = cast(Table, CsMessage.__table__)
_CUSTOMER_LINE = insert_unless_taken(
    _LINES,
    key=_LINES.c.msg_id,
    returning=_LINES.c.id,
    bound=("session_id", "at", "msg_id", "kind", "content", "payload"),
    sender="customer",
)


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
    line_id = await session.scalar(
        _CUSTOMER_LINE.for_session(session),
        {
            "session_id": cs.id,
            "at": now,
            "msg_id": msg_id,
            "kind": kind,
            "content": content,
            "payload": payload,
        },
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
            feed(
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
    account: str | None = None,
) -> tuple[CsMessage, Effects]:
    """An agent's message to the follower: checked against the window, recorded, queued for the
    dispatcher; the first one of a session is its first response. ``account`` is the account's
    code when the caller read it with the session (saves a query per send)."""
    if cs.state != "assigned" or cs.agent_id != agent_id:
        raise WindowClosed("the session is not yours", "not_your_session")
    check_window(cs, now=now, quota=quota)
    cs.window_sends += 1
    cs.last_activity_at = now
    # The message id is chosen here, not derived from the row id: one INSERT, no UPDATE after.
    msg_id = f"cs{cs.id}-{uuid.uuid4().hex[:16]}"
    line = CsMessage(
        session_id=cs.id,
        sender="agent",
        agent_id=agent_id,
        at=now,
        msg_id=msg_id,
        kind=kind,
        content=content,
        payload=payload,
    )
    session.add(line)
    account = account or await account_code(session, cs.account_id)
    effects = Effects(
        notices=[
            OutboundRequested(
                message_id=msg_id,
                correlation_id=f"cs:{cs.id}",
                account=account,
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
                **await event_fields(session, cs, account=account),
                agent_id=agent_id,
                assigned_at=assigned_at,
                responded_at=now,
                first_response_s=round((now - assigned_at).total_seconds(), 3),
            )
        )
    await session.flush()
    return line, effects
