"""Which sessions a caller may see, and which they may act on."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import CsSession
from services.admin_api.errors import NotFound, PermissionDenied
from services.admin_api.repositories import cs as repo
from services.admin_api.scope import Principal

SUPERVISE = "cs.supervise"


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


async def own(session: AsyncSession, principal: Principal, session_id: int) -> CsSession:
    """A visible session the caller may act on: their own, or any (a supervisor)."""
    cs = await visible_session(session, principal, session_id)
    if cs.agent_id != principal.user_id and not principal.can(SUPERVISE):
        raise PermissionDenied("only the session's agent or a supervisor", permission=SUPERVISE)
    return cs
