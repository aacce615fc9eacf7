"""Messages on ``wx.outbound``: something to deliver (routing key ``<priority>.<channel>``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from libs.common.schemas._envelope import Envelope

Priority = Literal["alert", "bulk"]


class OutboundRequested(Envelope):
    """Deliver one message to one customer of one account.

    ``custom_message`` is a customer-service message body as the WeChat API takes it (without
    ``touser``); ``origin`` says why it exists (``late_reply`` for an engine answer that missed the
    passive-reply deadline, ``notification`` for business-system alerts).
    """

    account: str
    openid: str | None = None
    priority: Priority = "alert"
    origin: str = "notification"
    custom_message: dict[str, Any] | None = None
    notification_id: str | None = None
    # A mass send by OpenID list (2..10,000, docs/wechat-protocol.md §8.4) of ``custom_message``.
    mass_openids: list[str] | None = None
    deadline_at: datetime | None = None
