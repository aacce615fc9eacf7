"""Sessions as the console reads them: the queue's size, the lists (mine, my groups' queue,
all), and one session with WeChat's window, the masked profile and the follower's history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from libs.common.cs import workflow
from libs.common.customer_numbers import masked_customer_no
from libs.common.db.models import CsSession, utcnow
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.routes.cs.access import AGENT, SUPERVISE, ScopedSession, cs_router
from services.admin_api.errors import PermissionDenied
from services.admin_api.repositories import cs as repo

router = cs_router()


class SessionRead(BaseModel):
    """A session as the console lists it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    openid: str
    group: str
    state: str = Field(description="queued/assigned/closed")
    agent_id: int | None
    requeued: bool = Field(description="因坐席离线退回队首 · back at the head of the queue")
    queued_at: datetime
    assigned_at: datetime | None
    first_response_at: datetime | None
    closed_at: datetime | None
    close_reason: str | None
    last_customer_at: datetime = Field(description="客户最后发言 · customer's last message")
    note: str = Field(description="转接备注 · transfer note")
    rating: int | None


class ProfileRead(BaseModel):
    """The follower as an agent may see them: masked."""

    subscribed: bool
    binding_state: str
    customer_no: str | None = Field(description="客户号（脱敏） · masked customer number")


class SessionDetail(SessionRead):
    """A session with WeChat's window, the follower's masked profile and their history."""

    window_left_s: float = Field(description="48 小时窗口剩余秒数 · seconds left in the window")
    window_sends_left: int = Field(description="窗口内剩余可发条数 · sends left in the window")
    position: int | None = Field(description="排队位置（前面几位） · sessions ahead in the queue")
    profile: ProfileRead | None
    history: list[SessionRead] = Field(description="最近会话 · the follower's latest sessions")


class QueueRead(BaseModel):
    """Queued sessions per group."""

    groups: dict[str, int]


def session_read(cs: CsSession) -> SessionRead:
    """The session as the console lists it."""
    return SessionRead.model_validate(cs)


@router.get(
    "/queue", response_model=QueueRead, dependencies=[Perm(AGENT)], summary="排队人数 · queue"
)
async def queue(session: SessionDep) -> QueueRead:
    """Queued sessions per group."""
    return QueueRead(groups=await workflow.queue_sizes(session))


@router.get(
    "/sessions",
    response_model=list[SessionRead],
    dependencies=[Perm(AGENT)],
    summary="会话列表 · sessions",
)
async def list_sessions(
    principal: CurrentUser,
    session: SessionDep,
    view: Annotated[
        Literal["mine", "queue", "all"],
        Query(description="mine：我的会话；queue：我的技能组排队；all：主管看全部"),
    ] = "mine",
    state: Annotated[
        Literal["queued", "assigned", "closed"] | None, Query(description="状态 · state")
    ] = None,
) -> list[SessionRead]:
    """The caller's open sessions, their groups' queue, or (supervisors) every session."""
    states: list[str] = [state] if state else ["queued", "assigned"]
    if view == "all":
        if not principal.can(SUPERVISE):
            raise PermissionDenied(f"permission {SUPERVISE!r} required", permission=SUPERVISE)
        found = await repo.list_sessions(
            session, principal=principal, states=states, agent_id=None, groups=None
        )
    elif view == "queue":
        agent = await repo.get_agent(session, user_id=principal.user_id)
        groups = list(agent.groups) if agent else []
        found = await repo.list_sessions(
            session, principal=principal, states=["queued"], agent_id=None, groups=groups
        )
    else:
        found = await repo.list_sessions(
            session, principal=principal, states=states, agent_id=principal.user_id, groups=None
        )
    return [session_read(cs) for cs in found]


@router.get(
    "/sessions/{session_id}",
    response_model=SessionDetail,
    dependencies=[Perm(AGENT)],
    summary="会话详情 · session",
)
async def get_session(cs: ScopedSession, session: SessionDep, state: StateDep) -> SessionDetail:
    """A session with the time and sends left in WeChat's window and the masked profile."""
    left_s, sends = workflow.window_left(cs, now=utcnow(), quota=state.settings.cs_window_sends)
    customer = await repo.get_customer(session, account_id=cs.account_id, openid=cs.openid)
    profile = (
        ProfileRead(
            subscribed=customer.subscribed,
            binding_state=customer.binding_state,
            customer_no=masked_customer_no(state.secret_box, customer.customer_no_enc),
        )
        if customer is not None
        else None
    )
    history = await repo.list_history(session, account_id=cs.account_id, openid=cs.openid)
    return SessionDetail(
        **session_read(cs).model_dump(),
        window_left_s=round(left_s, 1),
        window_sends_left=sends,
        position=await workflow.queue_position(session, cs) if cs.state == "queued" else None,
        profile=profile,
        history=[session_read(h) for h in history if h.id != cs.id],
    )
