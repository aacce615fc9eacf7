"""The agents' side of customer service: status, accept, send, transfer, close.

Each operation runs in its own transaction and publishes the workflow's effects (notices to the
follower, ``cs.*`` events, console pushes) only after it committed, so a rolled-back change never
reaches a customer. Who may touch a session: its agent; a supervisor (``cs.supervise``) any
session of an account in their scope; an agent may accept a queued session of their groups.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.cs import effects as cs_effects
from libs.common.cs import workflow
from libs.common.cs.effects import Effects
from libs.common.db.models import CsAgent, CsMessage, CsSession, utcnow
from libs.common.wechat.api.media import MediaApi
from services.admin_api.audit import record
from services.admin_api.errors import (
    InvalidState,
    LimitExceeded,
    NotAnAgent,
    NotFound,
    PermissionDenied,
    WindowExpired,
    WindowQuotaUsed,
)
from services.admin_api.media_limits import sniff
from services.admin_api.repositories import cs as repo
from services.admin_api.scope import Principal
from services.admin_api.state import AdminState
from services.admin_api.wechat_access import client_for

Status = Literal["online", "away", "offline"]
SUPERVISE = "cs.supervise"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What an agent sends: a text, or an image already uploaded to WeChat."""

    text: str | None = None
    media_id: str | None = None

    def custom_message(self) -> dict[str, Any]:
        """The customer-service message body."""
        if self.media_id:
            return {"msgtype": "image", "image": {"media_id": self.media_id}}
        return {"msgtype": "text", "text": {"content": self.text or ""}}


def _rules(state: AdminState) -> dict[str, Any]:
    return {
        "strategy": state.settings.cs_assignment,
        "quota": state.settings.cs_window_sends,
        "step": state.settings.cs_position_step,
    }


async def _run(
    state: AdminState,
    session: AsyncSession,
    change: Callable[[AsyncSession], Awaitable[tuple[Any, Effects]]],
) -> Any:
    """Apply ``change`` on the request's own session and commit, then publish its effects.

    One connection per request: a second session here would hold a second pooled connection
    while the request's first one waits, and enough concurrent sends would exhaust the pool
    with every request holding one and waiting for another. What the request loaded so far is
    expired first, so the change reads the rows afresh, as in a transaction of its own.
    """
    session.expire_all()
    result, effects = await change(session)
    await session.commit()
    await cs_effects.publish(state.bus, effects)
    return result


async def visible_session(
    session: AsyncSession, principal: Principal, session_id: int
) -> CsSession:
    """A session the caller may read: theirs, queued in their groups, or (supervisors) any of
    their accounts; others answer 404."""
    cs = await repo.get_session(session, session_id=session_id)
    if cs is None or not await principal.sees_account(session, cs.account_id):
        raise NotFound(f"session {session_id} not found")
    if principal.can(SUPERVISE) or cs.agent_id == principal.user_id:
        return cs
    agent = await repo.get_agent(session, user_id=principal.user_id)
    if agent is not None and cs.state == "queued" and cs.group in agent.groups:
        return cs
    raise NotFound(f"session {session_id} not found")


async def _own(session: AsyncSession, principal: Principal, session_id: int) -> CsSession:
    cs = await visible_session(session, principal, session_id)
    if cs.agent_id != principal.user_id and not principal.can(SUPERVISE):
        raise PermissionDenied("only the session's agent or a supervisor", permission=SUPERVISE)
    return cs


async def set_status(
    state: AdminState, principal: Principal, db: AsyncSession, status: Status
) -> CsAgent:
    """Change the caller's status: online takes waiting sessions, offline puts theirs back at
    the head of the queue."""

    async def change(session: AsyncSession) -> tuple[CsAgent, Effects]:
        agent = await repo.get_or_create_agent(
            session, user_id=principal.user_id, cap=state.settings.cs_default_cap
        )
        now = utcnow()
        previous = agent.status
        agent.status = status
        agent.status_at = now
        await session.flush()
        effects = Effects()
        if status == "offline" and previous != "offline":
            effects.extend(
                await workflow.requeue_agent(
                    session, agent_id=agent.user_id, now=now, **_rules(state)
                )
            )
        if status == "online":
            for group in agent.groups:
                effects.extend(
                    await workflow.assign_waiting(session, group=group, now=now, **_rules(state))
                )
        return agent, effects

    agent: CsAgent = await _run(state, db, change)
    return agent


async def accept(
    state: AdminState, principal: Principal, db: AsyncSession, session_id: int
) -> CsSession:
    """Take a queued session (an agent of its group), or take one over (a supervisor)."""

    async def change(session: AsyncSession) -> tuple[CsSession, Effects]:
        cs = await visible_session(session, principal, session_id)
        if cs.state == "closed":
            raise InvalidState("the session is closed")
        if cs.agent_id == principal.user_id:
            return cs, Effects()
        if cs.state == "assigned" and not principal.can(SUPERVISE):
            raise InvalidState("the session already has an agent")
        agent = await repo.get_agent(session, user_id=principal.user_id)
        if agent is None:
            raise NotAnAgent("set a status first to get a seat")
        if agent.status == "offline":
            raise InvalidState("go online or away before taking sessions")
        effects = await workflow.transfer(
            session,
            cs,
            to_agent_id=principal.user_id,
            to_group=None,
            note="accepted" if cs.state == "queued" else "taken over",
            now=utcnow(),
            **_rules(state),
        )
        return cs, effects

    cs: CsSession = await _run(state, db, change)
    return cs


async def send(
    state: AdminState, principal: Principal, db: AsyncSession, session_id: int, outgoing: Outgoing
) -> CsMessage:
    """An agent's message to the follower, refused outside WeChat's window."""

    async def change(session: AsyncSession) -> tuple[CsMessage, Effects]:
        # Locked: the send counts against the window (window_sends + 1), which the engine resets
        # when the follower writes; counting from a stale read would undo that reset.
        await repo.get_session(session, session_id=session_id, for_update=True)
        cs = await visible_session(session, principal, session_id)
        if cs.agent_id != principal.user_id:
            raise InvalidState("only the session's agent sends in it")
        kind = "image" if outgoing.media_id else "text"
        try:
            line, effects = await workflow.append_agent(
                session,
                cs,
                agent_id=principal.user_id,
                kind=kind,
                content=outgoing.text or "",
                custom_message=outgoing.custom_message(),
                payload={"media_id": outgoing.media_id} if outgoing.media_id else {},
                now=utcnow(),
                quota=state.settings.cs_window_sends,
            )
        except workflow.WindowClosed as exc:
            raise _refusal(exc) from exc
        return line, effects

    line: CsMessage = await _run(state, db, change)
    return line


async def send_image(
    state: AdminState,
    principal: Principal,
    db: AsyncSession,
    session_id: int,
    content: bytes,
    filename: str,
) -> CsMessage:
    """Upload an image as temporary media of the session's account, then send it; the window
    is checked first, so nothing is uploaded for a send WeChat would refuse."""
    cs = await visible_session(db, principal, session_id)
    if cs.agent_id != principal.user_id:
        raise InvalidState("only the session's agent sends in it")
    try:
        workflow.check_window(cs, now=utcnow(), quota=state.settings.cs_window_sends)
    except workflow.WindowClosed as exc:
        raise _refusal(exc) from exc
    account = await repo.get_account(db, account_id=cs.account_id)
    # No connection held while the image travels to WeChat.
    await db.commit()
    if account is None:
        raise NotFound(f"session {session_id} not found")
    sniffed = sniff(content[:64])
    if sniffed is None or sniffed[0] != "image":
        raise LimitExceeded(
            "content is not a supported image (bmp/png/jpeg/gif)",
            limit="image_format",
            allowed="bmp/png/jpeg/gif",
        )
    uploaded = await MediaApi(client_for(state, account)).upload(
        "image", filename, content, f"image/{sniffed[1]}"
    )
    return await send(
        state, principal, db, session_id, Outgoing(media_id=str(uploaded["media_id"]))
    )


def _refusal(exc: workflow.WindowClosed) -> Exception:
    if exc.code == "window_expired":
        return WindowExpired(exc.reason)
    if exc.code == "window_quota_used":
        return WindowQuotaUsed(exc.reason)
    return InvalidState(exc.reason)


async def transfer(
    state: AdminState,
    principal: Principal,
    db: AsyncSession,
    session_id: int,
    *,
    to_agent_id: int | None,
    to_group: str | None,
    note: str,
) -> CsSession:
    """Hand a session to another agent or group, with a note for them."""

    async def change(session: AsyncSession) -> tuple[CsSession, Effects]:
        cs = await _own(session, principal, session_id)
        if cs.state == "closed":
            raise InvalidState("the session is closed")
        if to_agent_id is not None:
            target = await repo.get_agent(session, user_id=to_agent_id)
            user = await repo.get_user(session, user_id=to_agent_id)
            if target is None or user is None or not user.is_active:
                raise NotFound(f"agent {to_agent_id} not found")
            if target.status != "online":
                raise InvalidState("the agent is not online")
        effects = await workflow.transfer(
            session,
            cs,
            to_agent_id=to_agent_id,
            to_group=to_group,
            note=note,
            now=utcnow(),
            **_rules(state),
        )
        await record(
            session,
            principal,
            "cs.transfer",
            "cs_session",
            cs.id,
            after={"to_agent_id": to_agent_id, "to_group": to_group, "note": note},
        )
        return cs, effects

    cs: CsSession = await _run(state, db, change)
    return cs


async def close(
    state: AdminState, principal: Principal, db: AsyncSession, session_id: int
) -> CsSession:
    """End a session; the follower is told and asked for a rating."""

    async def change(session: AsyncSession) -> tuple[CsSession, Effects]:
        cs = await _own(session, principal, session_id)
        if cs.state == "closed":
            return cs, Effects()
        reason = "agent" if cs.agent_id == principal.user_id else "supervisor"
        effects = await workflow.close(
            session,
            cs,
            reason=reason,
            now=utcnow(),
            rating_window_s=state.settings.cs_rating_window_s,
            **_rules(state),
        )
        return cs, effects

    cs: CsSession = await _run(state, db, change)
    return cs


async def watch_consoles(state: AdminState) -> None:
    """Refresh the agents whose consoles this replica holds; release agents whose consoles have
    been gone (from every replica) longer than the grace period."""
    now = utcnow()
    held = state.hub.agents() if state.hub is not None else []

    async def change(session: AsyncSession) -> tuple[None, Effects]:
        await workflow.mark_consoles_seen(session, agent_ids=held, now=now)
        effects = await workflow.release_vanished(
            session, now=now, grace_s=state.settings.cs_console_grace_s, **_rules(state)
        )
        return None, effects

    async with state.sessions() as session:
        await _run(state, session, change)
