"""What an agent does with a session: accept (or take over), send a text or an image, transfer
to an agent or a group, close."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from pydantic import BaseModel, Field, model_validator

from services.admin_api import console
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import MAX_ID
from services.admin_api.api.routes.cs.access import AGENT, ScopedSession, cs_router
from services.admin_api.api.routes.cs.sessions import SessionRead, session_read
from services.admin_api.api.routes.cs.transcripts import MessageRead
from services.admin_api.errors import LimitExceeded
from services.admin_api.media_limits import IMAGE_MAX_BYTES

router = cs_router()


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
    return session_read(await console.accept(state, principal, session, cs.id))


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
    return session_read(moved)


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
    return session_read(await console.close(state, principal, session, cs.id))
