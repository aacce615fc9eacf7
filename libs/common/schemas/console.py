"""Messages on ``wx.cs``: pushes to customer-service consoles (routing key ``agent.<id>`` or
``queue``), fanned out to every admin_api replica, which hands them to its open sockets."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from libs.common.schemas._envelope import Envelope


class ConsolePushed(Envelope):
    """Something for one agent's console (``feed_id`` set: a stored feed item, the resume
    cursor), or a change of the queues for everyone (``kind`` = ``queue``)."""

    kind: str
    agent_id: int | None = None
    feed_id: int | None = None
    session_id: int | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
