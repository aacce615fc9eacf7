"""Customer-service console (统一客服坐席, R-CS-1..4): seats, queue, sessions, transcripts,
canned replies, per-account configuration and tickets left outside service hours.

Agents hold ``cs.agent``; supervisors (``cs.supervise``) see every session of the accounts in
their data scope, take over and reassign, and configure seats and accounts. Sends to the follower
go through the dispatcher at ``alert`` priority; outside WeChat's 48-hour window (or with its
sends used up) a send answers 409 ``window_expired`` / ``window_quota_used``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from libs.common.cs import workflow
from libs.common.customer_numbers import masked_customer_no
from libs.common.db.models import CsCannedReply, CsConfig, CsMessage, CsSession, utcnow
from libs.common.spreadsheet import SafeCsvRows
from services.admin_api import console
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import MAX_ID, IdPath
from services.admin_api.audit import record, snapshot
from services.admin_api.errors import (
    FieldError,
    FieldErrors,
    LimitExceeded,
    NotAnAgent,
    NotFound,
    PermissionDenied,
)
from services.admin_api.media_limits import IMAGE_MAX_BYTES
from services.admin_api.repositories import cs as repo
from services.admin_api.repositories import rows
from services.admin_api.scope import account_in_scope, org_in_scope

router = APIRouter(prefix="/api/v1/cs", tags=["cs 客服"])

AGENT = "cs.agent"
SUPERVISE = "cs.supervise"


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


class MessageRead(BaseModel):
    """One transcript line."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    sender: str = Field(description="customer/agent/system")
    agent_id: int | None
    at: datetime
    msg_id: str | None
    kind: str
    content: str
    payload: dict[str, Any]


class MessageWrite(BaseModel):
    """A text, or an image already uploaded to WeChat (``media_id``)."""

    text: str | None = Field(default=None, min_length=1, max_length=2000)
    media_id: str | None = Field(default=None, min_length=1, max_length=128)

    @model_validator(mode="after")
    def _one(self) -> MessageWrite:
        if (self.text is None) == (self.media_id is None):
            raise ValueError("give text or media_id")
        return self


class TransferWrite(BaseModel):
    """Where a session goes: an agent or a group, with a note for them."""

    to_agent_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    to_group: str | None = Field(default=None, min_length=1, max_length=64)
    note: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _one(self) -> TransferWrite:
        if (self.to_agent_id is None) == (self.to_group is None):
            raise ValueError("give to_agent_id or to_group")
        return self


class QueueRead(BaseModel):
    """Queued sessions per group."""

    groups: dict[str, int]


class CannedRead(BaseModel):
    """A canned reply."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int | None
    owner_id: int | None = Field(description="个人话术的所有者 · personal reply's owner")
    title: str
    content: str


class CannedWrite(BaseModel):
    """A new canned reply: personal, or shared on an account (supervisors)."""

    title: str = Field(min_length=1, max_length=64)
    content: str = Field(min_length=1, max_length=2000)
    account_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    personal: bool = Field(default=True, description="个人话术 · personal")


class ConfigBody(BaseModel):
    """An account's customer-service settings."""

    model_config = ConfigDict(from_attributes=True)

    enabled: bool = True
    group: str = Field(default="default", min_length=1, max_length=64)
    keywords: list[Annotated[str, Field(min_length=1, max_length=16)]] = Field(
        default_factory=lambda: ["人工", "转人工", "客服"], max_length=20
    )
    menu_key: str = Field(default="CS", max_length=64)
    end_keyword: str = Field(default="结束", min_length=1, max_length=16)
    message_keyword: str = Field(default="留言", max_length=16)
    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    hours: dict[str, list[str]] = Field(
        default_factory=dict, description='ISO 星期 → ["09:00","18:00"]；空为全天'
    )
    holidays: list[str] = Field(default_factory=list, max_length=366)
    off_hours_text: str = Field(default="", max_length=600)
    idle_timeout_s: int = Field(default=600, ge=30, le=86_400)


class TicketRead(BaseModel):
    """A message left outside service hours."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    openid: str
    content: str
    state: str
    created_at: datetime
    done_at: datetime | None


async def _scoped_session(
    session_id: IdPath, principal: CurrentUser, session: SessionDep
) -> CsSession:
    """The session in the path, if the caller may see it (else 404, before the body is read)."""
    return await console.visible_session(session, principal, session_id)


ScopedSession = Annotated[CsSession, Depends(_scoped_session)]


def _session_read(cs: CsSession) -> SessionRead:
    return SessionRead.model_validate(cs)


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
    return [_session_read(cs) for cs in found]


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
        **_session_read(cs).model_dump(),
        window_left_s=round(left_s, 1),
        window_sends_left=sends,
        position=await workflow.queue_position(session, cs) if cs.state == "queued" else None,
        profile=profile,
        history=[_session_read(h) for h in history if h.id != cs.id],
    )


@router.get(
    "/sessions/{session_id}/messages",
    response_model=list[MessageRead],
    dependencies=[Perm(AGENT)],
    summary="会话记录 · transcript",
)
async def list_messages(
    cs: ScopedSession,
    session: SessionDep,
    after: Annotated[
        int, Query(ge=0, le=MAX_ID, description="此 ID 之后 · after this line id")
    ] = 0,
) -> list[MessageRead]:
    """The transcript in order (from after the line ``after``)."""
    lines = await repo.list_messages(session, session_id=cs.id, after=after)
    return [MessageRead.model_validate(line) for line in lines]


_CSV_COLUMNS = ["id", "at", "sender", "agent_id", "kind", "content", "msg_id"]


@router.get(
    "/sessions/{session_id}/transcript.csv",
    dependencies=[Perm(AGENT)],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
    summary="导出会话记录 · export a transcript",
)
async def export_transcript(cs: ScopedSession, session: SessionDep) -> StreamingResponse:
    """One session's transcript as CSV (UTF-8 with BOM for spreadsheet apps)."""
    lines: list[CsMessage] = await repo.list_messages(session, session_id=cs.id, limit=100_000)

    async def body() -> AsyncIterator[str]:
        csv_rows = SafeCsvRows()
        yield "\ufeff" + csv_rows.render(_CSV_COLUMNS)
        for line in lines:
            yield csv_rows.render(
                [
                    line.id,
                    line.at.isoformat(),
                    line.sender,
                    line.agent_id or "",
                    line.kind,
                    line.content,
                    line.msg_id or "",
                ]
            )

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="cs-session-{cs.id}.csv"'},
    )


@router.post(
    "/sessions/{session_id}/accept",
    response_model=SessionRead,
    dependencies=[Perm(AGENT)],
    summary="接入 / 接管 · accept or take over",
)
async def accept(
    cs: ScopedSession, principal: CurrentUser, session: SessionDep, state: StateDep
) -> SessionRead:
    """Take a queued session of the caller's groups (supervisors: take over any)."""
    return _session_read(await console.accept(state, principal, session, cs.id))


@router.post(
    "/sessions/{session_id}/messages",
    response_model=MessageRead,
    status_code=201,
    dependencies=[Perm(AGENT)],
    summary="发送消息 · send",
)
async def send(
    cs: ScopedSession,
    body: MessageWrite,
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
) -> MessageRead:
    """Send a text or image to the follower (refused outside WeChat's window)."""
    outgoing = console.Outgoing(text=body.text, media_id=body.media_id)
    line = await console.send(state, principal, session, cs.id, outgoing)
    return MessageRead.model_validate(line)


_IMAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        "description": "图片内容（原始字节流） · the image's raw bytes",
    }
}


@router.post(
    "/sessions/{session_id}/images",
    response_model=MessageRead,
    status_code=201,
    dependencies=[Perm(AGENT)],
    openapi_extra=_IMAGE_BODY,
    summary="发送图片 · send an image",
)
async def send_image(
    cs: ScopedSession,
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
    filename: Annotated[
        str, Query(min_length=1, max_length=256, description="文件名 · file name")
    ] = "image.jpg",
) -> MessageRead:
    """Upload the image to WeChat (temporary media) and send it to the follower."""
    content = b""
    async for chunk in request.stream():
        content += chunk
        if len(content) > IMAGE_MAX_BYTES:
            raise LimitExceeded(
                f"image larger than {IMAGE_MAX_BYTES} bytes",
                limit="image_max_bytes",
                max=IMAGE_MAX_BYTES,
            )
    line = await console.send_image(state, principal, session, cs.id, content, filename)
    return MessageRead.model_validate(line)


@router.post(
    "/sessions/{session_id}/transfer",
    response_model=SessionRead,
    dependencies=[Perm(AGENT)],
    summary="转接 · transfer",
)
async def transfer(
    cs: ScopedSession,
    body: TransferWrite,
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
) -> SessionRead:
    """Hand the session to another online agent, or to a group's queue (at its head)."""
    moved = await console.transfer(
        state,
        principal,
        session,
        cs.id,
        to_agent_id=body.to_agent_id,
        to_group=body.to_group,
        note=body.note,
    )
    return _session_read(moved)


@router.post(
    "/sessions/{session_id}/close",
    response_model=SessionRead,
    dependencies=[Perm(AGENT)],
    summary="结束会话 · close",
)
async def close(
    cs: ScopedSession, principal: CurrentUser, session: SessionDep, state: StateDep
) -> SessionRead:
    """End the session; the follower is asked for a 1–5 rating."""
    return _session_read(await console.close(state, principal, session, cs.id))


@router.get(
    "/canned-replies",
    response_model=list[CannedRead],
    dependencies=[Perm(AGENT)],
    summary="快捷回复 · canned replies",
)
async def list_canned(
    principal: CurrentUser,
    session: SessionDep,
    account_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="公众号 · account")
    ] = None,
) -> list[CannedRead]:
    """The caller's personal replies and the shared ones of their accounts."""
    found = await repo.list_canned(session, principal=principal, account_id=account_id)
    return [CannedRead.model_validate(r) for r in found]


@router.post(
    "/canned-replies",
    response_model=CannedRead,
    status_code=201,
    dependencies=[Perm(AGENT)],
    summary="新建快捷回复 · add a canned reply",
)
async def add_canned(body: CannedWrite, principal: CurrentUser, session: SessionDep) -> CannedRead:
    """A personal reply, or (supervisors) one shared on an account."""
    if not body.personal:
        if not principal.can(SUPERVISE):
            raise PermissionDenied(f"permission {SUPERVISE!r} required", permission=SUPERVISE)
        if body.account_id is None:
            raise FieldErrors(
                "a shared reply belongs to an account",
                [FieldError("body.account_id", "required for a shared reply", "missing")],
            )
    if body.account_id is not None:
        await account_in_scope(session, principal, body.account_id)
    row = await rows.add(
        session,
        CsCannedReply(
            account_id=body.account_id,
            owner_id=principal.user_id if body.personal else None,
            title=body.title,
            content=body.content,
        ),
    )
    return CannedRead.model_validate(row)


@router.delete(
    "/canned-replies/{reply_id}",
    status_code=204,
    dependencies=[Perm(AGENT)],
    summary="删除快捷回复 · delete a canned reply",
)
async def delete_canned(reply_id: IdPath, principal: CurrentUser, session: SessionDep) -> None:
    """Delete a personal reply of the caller, or (supervisors) a shared one."""
    row = await repo.get_canned(session, reply_id=reply_id)
    mine = row is not None and row.owner_id == principal.user_id
    shared = (
        row is not None
        and row.owner_id is None
        and principal.can(SUPERVISE)
        and (row.account_id is None or await principal.sees_account(session, row.account_id))
    )
    if row is None or not (mine or shared):
        raise NotFound(f"canned reply {reply_id} not found")
    await rows.delete(session, row)


@router.get(
    "/config/{account_id}",
    response_model=ConfigBody,
    dependencies=[Perm(SUPERVISE)],
    summary="客服配置 · account settings",
)
async def get_config(account_id: IdPath, principal: CurrentUser, session: SessionDep) -> ConfigBody:
    """The account's customer-service settings (defaults, disabled, when never set)."""
    await account_in_scope(session, principal, account_id)
    row = await repo.get_config(session, account_id=account_id)
    if row is None:
        return ConfigBody(enabled=False)
    return ConfigBody.model_validate(row)


@router.put(
    "/config/{account_id}",
    response_model=ConfigBody,
    dependencies=[Perm(SUPERVISE)],
    summary="设置客服配置 · set account settings",
)
async def put_config(
    account_id: IdPath, body: ConfigBody, principal: CurrentUser, session: SessionDep
) -> ConfigBody:
    """Words, menu key, group, service hours, holidays, off-hours text and idle timeout."""
    await account_in_scope(session, principal, account_id)
    _check_hours(body)
    row = await repo.get_config(session, account_id=account_id)
    before = snapshot(row)
    if row is None:
        row = await rows.add(session, CsConfig(account_id=account_id))
    for name, value in body.model_dump().items():
        setattr(row, name, value)
    await record(
        session, principal, "cs.config", "account", account_id, before=before, after=snapshot(row)
    )
    return ConfigBody.model_validate(row)


def _is_time(value: str) -> bool:
    if value == "24:00":
        return True
    try:
        time.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 5


def _check_hours(body: ConfigBody) -> None:
    errors: list[FieldError] = []
    try:
        ZoneInfo(body.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(FieldError("body.timezone", "unknown time zone", "invalid"))
    for day, span in body.hours.items():
        if (
            day not in {str(d) for d in range(1, 8)}
            or len(span) != 2
            or not all(_is_time(v) for v in span)
        ):
            errors.append(FieldError(f"body.hours.{day}", 'expected ["HH:MM", "HH:MM"]', "invalid"))
    for index, day in enumerate(body.holidays):
        try:
            date.fromisoformat(day)
        except ValueError:
            errors.append(FieldError(f"body.holidays[{index}]", "expected YYYY-MM-DD", "invalid"))
    if errors:
        raise FieldErrors("invalid service hours", errors)


@router.get(
    "/tickets",
    response_model=list[TicketRead],
    dependencies=[Perm(AGENT)],
    summary="留言 · tickets",
)
async def list_tickets(
    principal: CurrentUser,
    session: SessionDep,
    state: Annotated[Literal["open", "done"] | None, Query(description="状态 · state")] = "open",
) -> list[TicketRead]:
    """Messages left outside service hours on the caller's accounts."""
    found = await repo.list_tickets(session, principal=principal, state=state)
    return [TicketRead.model_validate(t) for t in found]


@router.post(
    "/tickets/{ticket_id}/done",
    response_model=TicketRead,
    dependencies=[Perm(AGENT)],
    summary="留言已处理 · mark a ticket done",
)
async def ticket_done(ticket_id: IdPath, principal: CurrentUser, session: SessionDep) -> TicketRead:
    """Mark a ticket handled."""
    ticket = await repo.get_ticket(session, ticket_id=ticket_id)
    if ticket is None or not await principal.sees_account(session, ticket.account_id):
        raise NotFound(f"ticket {ticket_id} not found")
    if ticket.state != "done":
        ticket.state = "done"
        ticket.done_at = utcnow()
        ticket.done_by = principal.user_id
    return TicketRead.model_validate(ticket)
