"""WeChat's delivery reports (R-OUT-9): job-finish callbacks become ``wechat.job_finished`` events.

The engine is where every callback lands, but it owns no notification rows: it only turns
TEMPLATESENDJOBFINISH / MASSSENDJOBFINISH into a :class:`WeChatJobFinished` on ``wx.events``,
which the dispatcher (owner of the rows) applies and stats stores. The event's id is derived
from the account and msgid, so a redelivered callback republishes the same event.
"""

from __future__ import annotations

import hashlib

from libs.common.bus import EVENTS, Bus
from libs.common.schemas.events import WeChatJobFinished
from libs.common.wechat import InboundMessage, MassSendJobFinishEvent, TemplateSendJobFinishEvent

ROUTING_KEY = "wechat.job_finished"


def job_finished(account: str, message: InboundMessage) -> WeChatJobFinished | None:
    """The event a job-finish callback reports, or None for any other message."""
    if not isinstance(message, TemplateSendJobFinishEvent | MassSendJobFinishEvent):
        return None
    if message.msg_id is None:
        return None
    msgid = str(message.msg_id)
    digest = hashlib.blake2b(f"{account}:{msgid}".encode(), digest_size=16).hexdigest()
    if isinstance(message, MassSendJobFinishEvent):
        return WeChatJobFinished(
            message_id=digest,
            account=account,
            openid=message.from_user,
            kind="mass",
            msgid=msgid,
            status=message.status,
            total_count=message.total_count,
            filter_count=message.filter_count,
            sent_count=message.sent_count,
            error_count=message.error_count,
        )
    return WeChatJobFinished(
        message_id=digest,
        account=account,
        openid=message.from_user,
        kind="template",
        msgid=msgid,
        status=message.status,
    )


async def publish_job_finished(bus: Bus, event: WeChatJobFinished) -> None:
    """Publish the report at once (confirmed by the broker): it changes a notification's status."""
    await bus.publish(EVENTS, ROUTING_KEY, event.to_bytes(), message_id=event.message_id)
