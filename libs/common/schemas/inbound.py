"""Messages on ``wx.inbound``: a WeChat callback handed from the gateway to the engine, and back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from libs.common.schemas._envelope import Envelope


class InboundReceived(Envelope):
    """A verified, decrypted, first-seen callback (routing key ``<account>.<kind>``).

    ``fields`` are the callback's XML fields as parsed; the engine re-parses them into a typed
    message. ``dedup_key`` names the callback's entry in the callback ledger.
    """

    account: str
    kind: str
    dedup_key: str
    fields: dict[str, Any]
    encrypted: bool = False
    reply_by: datetime | None = None


class PassiveReply(Envelope):
    """The engine's answer to an :class:`InboundReceived` (``reply`` is None: nothing to say)."""

    reply: dict[str, Any] | None = None
