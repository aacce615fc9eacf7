"""Sending to the follower: a text, or an image uploaded to WeChat first, refused outside
WeChat's 48-hour window or once its sends are used up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.cs import workflow
from libs.common.cs.effects import Effects
from libs.common.db.models import CsMessage, utcnow
from libs.common.wechat.api.media import MediaApi
from services.admin_api.console.access import visible_session
from services.admin_api.console.transaction import run
from services.admin_api.errors import (
    InvalidState,
    LimitExceeded,
    NotFound,
    WindowExpired,
    WindowQuotaUsed,
)
from services.admin_api.media_limits import sniff
from services.admin_api.repositories import cs as repo
from services.admin_api.scope import Principal
from services.admin_api.state import AdminState
from services.admin_api.wechat_access import client_for


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


async def send(
    state: AdminState, principal: Principal, db: AsyncSession, session_id: int, outgoing: Outgoing
) -> CsMessage:
    """An agent's message to the follower, refused outside WeChat's window."""

    async def change(session: AsyncSession) -> tuple[CsMessage, Effects]:
        # Locked: the send counts against the window (window_sends + 1), which the engine resets
        # when the follower writes; counting from a stale read would undo that reset.
        _, account = await repo.lock_session_with_account(session, session_id=session_id)
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
                account=account,
            )
        except workflow.WindowClosed as exc:
            raise _refusal(exc) from exc
        return line, effects

    line: CsMessage = await run(state, db, change)
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
