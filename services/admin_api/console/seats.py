"""Agents' seats: an agent's status, and the consoles this replica holds."""

from __future__ import annotations

from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.cs import workflow
from libs.common.cs.effects import Effects
from libs.common.db.models import CsAgent, utcnow
from services.admin_api.console.transaction import rules, run
from services.admin_api.repositories import cs as repo
from services.admin_api.scope import Principal
from services.admin_api.state import AdminState

Status = Literal["online", "away", "offline"]


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
                    session, agent_id=agent.user_id, now=now, **rules(state)
                )
            )
        if status == "online":
            for group in agent.groups:
                effects.extend(
                    await workflow.assign_waiting(session, group=group, now=now, **rules(state))
                )
        return agent, effects

    agent: CsAgent = await run(state, db, change)
    return agent


async def watch_consoles(state: AdminState) -> None:
    """Refresh the agents whose consoles this replica holds; release agents whose consoles have
    been gone (from every replica) longer than the grace period."""
    now = utcnow()
    held = state.hub.agents() if state.hub is not None else []

    async def change(session: AsyncSession) -> tuple[None, Effects]:
        await workflow.mark_consoles_seen(session, agent_ids=held, now=now)
        effects = await workflow.release_vanished(
            session, now=now, grace_s=state.settings.cs_console_grace_s, **rules(state)
        )
        return None, effects

    async with state.sessions() as session:
        await run(state, session, change)
