"""The dispatcher's bus edge: one consumer per priority class, plus the interactions feed.

``dispatcher.alert`` and ``dispatcher.bulk`` are consumed by separate subscriptions with their
own prefetch, delivery service, HTTP pool and alert-first rate limiting, so a bulk flood can
never hold what alerts need (R-OUT-3). ``dispatcher.interactions`` (bound to ``wx.events`` /
``inbound.handled``) keeps the customer-service windows (§8.2) up to date.
"""

from __future__ import annotations

from datetime import UTC, timedelta

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.bus import EVENTS, Delivery, Exchange, Queue, Topology
from libs.common.observability.logging import get_logger
from libs.common.schemas.events import InboundHandled, InboundHandledBatch
from services.dispatcher import repository
from services.dispatcher.accounts import AccountDirectory, UnknownAccount

log = get_logger(__name__)

INTERACTIONS = "dispatcher.interactions"

# Events that open a short window (3 sends within a minute): menu taps that count, follows, scans.
_EVENT_TRIGGERS = frozenset(
    {
        "event.click",
        "event.scancode_push",
        "event.scancode_waitmsg",
        "event.subscribe",
        "event.scan",
    }
)


def interactions_topology() -> Topology:
    """The dispatcher's own queue of user interactions."""
    return Topology(
        exchanges=[Exchange(EVENTS, "topic")],
        queues=[Queue(INTERACTIONS, [(EVENTS, "inbound.handled")])],
    )


class InteractionHandler:
    """Opens or renews a follower's customer-service window after each qualifying interaction."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        directory: AccountDirectory,
        *,
        message_window: timedelta,
        message_quota: int,
        event_window: timedelta,
        event_quota: int,
    ) -> None:
        self._sessions = sessions
        self._directory = directory
        self._windows = {
            "message": (message_window, message_quota),
            "event": (event_window, event_quota),
        }

    async def __call__(self, delivery: Delivery) -> None:
        """Record one interaction or a batch of them (acked after the commit)."""
        body = delivery.message.body
        try:
            # The engine batches its events; a single InboundHandled is accepted too.
            if b'"items"' in body:
                events = InboundHandledBatch.from_bytes(body).items
            else:
                events = [InboundHandled.from_bytes(body)]
        except ValidationError:
            log.warning("malformed_interaction", message_id=delivery.message.message_id)
            await delivery.reject()
            return
        await self.record(events)
        await delivery.ack()

    async def record(self, events: list[InboundHandled]) -> None:
        """Open or renew the windows the interactions qualify for, in one transaction."""
        async with self._sessions.begin() as session:
            for event in events:
                kind = _window_kind(event.kind)
                if kind is None:
                    continue
                try:
                    account = await self._directory.account(code=event.account)
                except UnknownAccount:
                    continue
                duration, quota = self._windows[kind]
                await repository.open_window(
                    session,
                    account_id=account.id,
                    openid=event.openid,
                    kind=kind,
                    now=event.occurred_at.astimezone(UTC),
                    duration=duration,
                    quota=quota,
                )


def _window_kind(kind: str) -> str | None:
    """``message`` or ``event`` for interactions that open a window, else None."""
    if kind.startswith("event."):
        return "event" if kind in _EVENT_TRIGGERS else None
    return "message"
