"""Seats: the caller's own (and its status), and the supervisors' view and settings of the
seats in their organisation subtree."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.admin_api import console
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import IdPath
from services.admin_api.api.routes.cs.access import AGENT, SUPERVISE, cs_router
from services.admin_api.audit import record, snapshot
from services.admin_api.errors import NotAnAgent, NotFound
from services.admin_api.repositories import cs as repo
from services.admin_api.scope import org_in_scope

router = cs_router()


class AgentRead(BaseModel):
    """A seat."""

    model_config = ConfigDict(from_attributes=True)

    user_id: int = Field(description="用户 ID · admin user id")
    status: str = Field(description="状态 online/away/offline · status")
    cap: int = Field(description="同时接待上限 · concurrent sessions cap")
    groups: list[str] = Field(description="技能组 · agent groups")
    status_at: datetime = Field(description="状态变更时间 · status changed at")


class StatusWrite(BaseModel):
    """A new status for the caller's seat."""

    status: Literal["online", "away", "offline"] = Field(description="状态 · status")


class AgentWrite(BaseModel):
    """A supervisor's settings for a seat."""

    cap: int = Field(default=10, ge=1, le=100, description="接待上限 · cap")
    groups: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=lambda: ["default"], max_length=20, description="技能组 · groups"
    )


@router.get(
    "/me", response_model=AgentRead, dependencies=[Perm(AGENT)], summary="我的坐席 · my seat"
)
async def my_seat(principal: CurrentUser, session: SessionDep) -> AgentRead:
    """The caller's seat (409 ``not_an_agent`` before their first status)."""
    agent = await repo.get_agent(session, user_id=principal.user_id)
    if agent is None:
        raise NotAnAgent("set a status first to get a seat")
    return AgentRead.model_validate(agent)


@router.put(
    "/me/status",
    response_model=AgentRead,
    dependencies=[Perm(AGENT)],
    summary="设置状态 · set my status",
)
async def set_status(
    body: StatusWrite, principal: CurrentUser, session: SessionDep, state: StateDep
) -> AgentRead:
    """Online takes waiting sessions; offline puts the caller's sessions back at the head of
    the queue for the others."""
    agent = await console.set_status(state, principal, session, body.status)
    return AgentRead.model_validate(agent)


@router.get(
    "/agents",
    response_model=list[AgentRead],
    dependencies=[Perm(SUPERVISE)],
    summary="坐席列表 · seats",
)
async def list_agents(principal: CurrentUser, session: SessionDep) -> list[AgentRead]:
    """Seats of the users in the caller's organisation subtree."""
    return [
        AgentRead.model_validate(a) for a, _ in await repo.list_agents(session, principal=principal)
    ]


@router.put(
    "/agents/{user_id}",
    response_model=AgentRead,
    dependencies=[Perm(SUPERVISE)],
    summary="设置坐席 · configure a seat",
)
async def put_agent(
    user_id: IdPath, body: AgentWrite, principal: CurrentUser, session: SessionDep
) -> AgentRead:
    """Give a user of the caller's subtree a seat, or change its cap and groups."""
    user = await repo.get_user(session, user_id=user_id)
    if user is None or not await _sees_user(session, principal, user.org_id):
        raise NotFound(f"user {user_id} not found")
    agent = await repo.get_or_create_agent(session, user_id=user_id, cap=body.cap)
    before = snapshot(agent)
    agent.cap = body.cap
    agent.groups = list(body.groups)
    await record(
        session, principal, "cs.agent", "cs_agent", user_id, before=before, after=snapshot(agent)
    )
    return AgentRead.model_validate(agent)


async def _sees_user(session: SessionDep, principal: CurrentUser, org_id: int) -> bool:
    try:
        await org_in_scope(session, principal, org_id)
    except NotFound:
        return False
    return True
