"""Handling a session: accept (or take over), transfer to another agent or group, close."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.cs import workflow
from libs.common.cs.effects import Effects
from libs.common.db.models import CsSession, utcnow
from services.admin_api.audit import record
from services.admin_api.console.access import SUPERVISE, own, visible_session
from services.admin_api.console.transaction import rules, run
from services.admin_api.errors import InvalidState, NotAnAgent, NotFound
from services.admin_api.repositories import cs as repo
from services.admin_api.scope import Principal
from services.admin_api.state import AdminState


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
            **rules(state),
        )
        return cs, effects

    cs: CsSession = await run(state, db, change)
    return cs


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
        cs = await own(session, principal, session_id)
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
            **rules(state),
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

    cs: CsSession = await run(state, db, change)
    return cs


async def close(
    state: AdminState, principal: Principal, db: AsyncSession, session_id: int
) -> CsSession:
    """End a session; the follower is told and asked for a rating."""

    async def change(session: AsyncSession) -> tuple[CsSession, Effects]:
        cs = await own(session, principal, session_id)
        if cs.state == "closed":
            return cs, Effects()
        reason = "agent" if cs.agent_id == principal.user_id else "supervisor"
        effects = await workflow.close(
            session,
            cs,
            reason=reason,
            now=utcnow(),
            rating_window_s=state.settings.cs_rating_window_s,
            **rules(state),
        )
        return cs, effects

    cs: CsSession = await run(state, db, change)
    return cs
