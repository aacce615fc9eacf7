"""What a customer-service state change leaves to do once its transaction committed."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from libs.common.bus import CS_PUSH, EVENTS, OUTBOUND, Bus, Unroutable
from libs.common.db.models import CsFeedItem
from libs.common.schemas.console import ConsolePushed
from libs.common.schemas.events import (
    CsAssigned,
    CsClosed,
    CsEvent,
    CsFirstResponse,
    CsQueued,
    CsRated,
    CsTransferred,
)
from libs.common.schemas.outbound import OutboundRequested

ROUTING_KEYS: dict[type[CsEvent], str] = {
    CsQueued: "cs.queued",
    CsAssigned: "cs.assigned",
    CsFirstResponse: "cs.first_response",
    CsTransferred: "cs.transferred",
    CsClosed: "cs.closed",
    CsRated: "cs.rated",
}

# Events after which the consoles' queue sizes are out of date.
QUEUE_CHANGES = (CsQueued, CsAssigned, CsTransferred, CsClosed)


@dataclass
class Effects:
    """Events for ``wx.events``, messages to followers and console feed rows (already flushed)."""

    events: list[CsEvent] = field(default_factory=list)
    notices: list[OutboundRequested] = field(default_factory=list)
    feed: list[CsFeedItem] = field(default_factory=list)

    def extend(self, other: Effects) -> Effects:
        """Add ``other``'s effects after this one's; returns self."""
        self.events.extend(other.events)
        self.notices.extend(other.notices)
        self.feed.extend(other.feed)
        return self


async def publish(bus: Bus, effects: Effects) -> None:
    """Publish after commit: notices at ``alert`` priority, the events, then console pushes.

    A crash between commit and publish loses the notices and events of that change (the
    database keeps the truth); notice ids are derived from the session, so a repeat is sent once.
    """
    for notice in effects.notices:
        await bus.publish(OUTBOUND, "alert.wechat", notice.to_bytes(), message_id=notice.message_id)
    for event in effects.events:
        await bus.publish(
            EVENTS, ROUTING_KEYS[type(event)], event.to_bytes(), message_id=event.message_id
        )
    for item in effects.feed:
        push = ConsolePushed(
            kind=item.kind,
            agent_id=item.agent_id,
            feed_id=item.id,
            session_id=item.session_id,
            payload=item.payload,
            occurred_at=item.at,
        )
        await _push(bus, f"agent.{item.agent_id}", push)
    if any(isinstance(event, QUEUE_CHANGES) for event in effects.events):
        await _push(bus, "queue", ConsolePushed(kind="queue"))


async def _push(bus: Bus, routing_key: str, push: ConsolePushed) -> None:
    # Unroutable: no admin_api replica is running, so no console to push to; the feed row is
    # the record a console reads when it connects.
    with contextlib.suppress(Unroutable):
        await bus.publish(CS_PUSH, routing_key, push.to_bytes(), persistent=False)
