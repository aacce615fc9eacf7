"""WeChat's 48-hour customer-service window: what is left of it, refusing the sends WeChat would
refuse, and the notices to the follower that spend it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.cs.workflow.records import account_code
from libs.common.db.models import CsMessage, CsSession
from libs.common.schemas.outbound import OutboundRequested

# WeChat's customer-service window after a follower's message (docs/wechat-protocol.md §8.2).
WINDOW = timedelta(hours=48)


class WindowClosed(Exception):
    """A message to the follower cannot go out: ``code`` says why (``reason`` in English)."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def window_left(cs: CsSession, *, now: datetime, quota: int) -> tuple[float, int]:
    """Seconds left in WeChat's 48-hour window and sends left in it."""
    left_s = (cs.last_customer_at + WINDOW - now).total_seconds()
    return max(0.0, left_s), max(0, quota - cs.window_sends) if left_s > 0 else 0


def check_window(cs: CsSession, *, now: datetime, quota: int) -> None:
    """Refuse a send WeChat would refuse (45015 outside the window, 45047 quota used up)."""
    left_s, sends = window_left(cs, now=now, quota=quota)
    if left_s <= 0:
        raise WindowClosed(
            "the customer's last message is over 48 hours old; "
            "WeChat refuses customer-service messages",
            "window_expired",
        )
    if sends <= 0:
        raise WindowClosed(
            f"{quota} messages were sent since the customer's last message; "
            "wait until the customer writes again",
            "window_quota_used",
        )


async def notice(
    session: AsyncSession, cs: CsSession, text: str, *, key: str, now: datetime, quota: int
) -> list[OutboundRequested]:
    """A text to the follower inside the window (spent from its quota), recorded in the
    transcript; nothing when WeChat would refuse it."""
    try:
        check_window(cs, now=now, quota=quota)
    except WindowClosed:
        return []
    cs.window_sends += 1
    message_id = f"cs{cs.id}-{key}"
    session.add(
        CsMessage(
            session_id=cs.id, sender="system", at=now, msg_id=message_id, kind="text", content=text
        )
    )
    return [
        OutboundRequested(
            message_id=message_id,
            correlation_id=f"cs:{cs.id}",
            account=await account_code(session, cs.account_id),
            openid=cs.openid,
            priority="alert",
            origin="cs",
            custom_message={"msgtype": "text", "text": {"content": text}},
        )
    ]
