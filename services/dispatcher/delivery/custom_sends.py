"""Prepared custom messages: late passive replies, hand-over notices and publications.

The engine's answers that missed WeChat's 5-second passive-reply window (origin
``late_reply``), an agent's hand-over notice (``handover``) and a publication's messages
(``publication``; a mass send by OpenID list when it has several recipients) arrive with their
message body ready: unlike a notification, no row exists before the dispatcher writes one, so
the bus message carries everything.

For an account that tracks clicks, the links of a single custom message (an agent's text, a late
reply) become tracked short links first; a publication's were made by the admin API.

A customer-service message has no idempotency key, so it goes out at most once: a row keyed by
the bus message id (:func:`custom_send_id`) is written before the send, and a redelivery that
finds it (even after a crash) is only acked. A send that certainly did not go out forgets the
row and is retried.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.bus import EVENTS, Bus, Reject, Retry
from libs.common.observability.logging import get_logger
from libs.common.schemas.events import PublicationSent
from libs.common.schemas.outbound import OutboundRequested
from libs.common.short_links import LinkTracker
from services.dispatcher import repository
from services.dispatcher.accounts import AccountDirectory, UnknownAccount
from services.dispatcher.channels import ChannelRegistry
from services.dispatcher.channels.base import Outcome, Outgoing
from services.dispatcher.delivery.attempts import Sender
from services.dispatcher.delivery.run import now
from services.dispatcher.fallback import RetryPolicy
from services.dispatcher.metrics import LATE_REPLIES
from services.dispatcher.rate_limit import RateLimiter
from services.dispatcher.repository import PendingEvent

log = get_logger(__name__)

# Bus message ids of custom sends this process handled lately (saves a database round trip).
_RECENT_MAX = 10_000


def custom_send_id(message_id: str) -> str:
    """The id of the row recording a custom send.

    A short bus message id is used as is, so the admin API can look up a publication
    recipient's outcome by its message id; longer ones are hashed to fit the column.
    """
    if len(message_id) <= 32:
        return message_id
    return hashlib.blake2b(message_id.encode(), digest_size=16).hexdigest()


class CustomSends:
    """Sends prepared custom messages (one recipient, or a mass send) at most once."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        directory: AccountDirectory,
        channels: ChannelRegistry,
        limiter: RateLimiter,
        sender: Sender,
        policy: RetryPolicy,
        bus: Bus | None = None,
        tracker: LinkTracker | None = None,
    ) -> None:
        self._sessions = sessions
        self._bus = bus
        self._tracker = tracker
        self._directory = directory
        self._channels = channels
        self._limiter = limiter
        self._sender = sender
        self._policy = policy
        self._recent: OrderedDict[str, None] = OrderedDict()

    async def __call__(self, request: OutboundRequested) -> None:
        """Send ``request``'s custom message unless it was attempted before."""
        mass = bool(request.mass_openids)
        if not (request.openid or mass) or not request.custom_message:
            raise Reject("custom message without recipient or body")
        if request.message_id in self._recent:
            return
        channel_name = "wechat_mass" if mass else "wechat_custom"
        channel = self._channels.get(channel_name)
        if channel is None:
            raise Reject(f"no {channel_name} channel registered")
        try:
            account = await self._directory.account(code=request.account)
        except UnknownAccount as exc:
            raise Reject(str(exc)) from exc
        nid = custom_send_id(request.message_id)
        async with self._sessions.begin() as session:
            started = await repository.start_custom_send(
                session,
                notification_id=nid,
                account_id=account.id,
                origin=request.origin,
                openid=request.openid,
                priority=request.priority,
                now=now(),
                channel=channel.name,
            )
        self._remember(request.message_id)
        if not started:
            return
        body = request.custom_message
        if self._tracker is not None and account.track_clicks and not mass:
            body = await self._track(request, account.id, nid, body)
        outgoing = Outgoing(
            message_id=request.message_id,
            account=request.account,
            openid=request.openid,
            custom_message=body,
            openids=tuple(request.mass_openids or ()),
        )
        await self._limiter.acquire(request.account, channel.name, priority=request.priority)
        result = await self._sender.send(channel, outgoing)
        LATE_REPLIES.labels(result.outcome.value).inc()
        if result.outcome in (Outcome.RETRY, Outcome.THROTTLED):
            # Certainly not sent: forget it so the retry may send it.
            async with self._sessions.begin() as session:
                await repository.forget_custom_send(session, notification_id=nid)
            self._recent.pop(request.message_id, None)
            raise Retry(
                f"custom message not sent: {result.detail}", delay_s=self._policy.backoff(1)
            )
        if not result.sent:
            log.warning("custom_message_not_sent", openid=request.openid, detail=result.detail)
        status = "delivered" if result.sent else "failed"
        reason = None if result.sent else result.detail
        at = now()
        async with self._sessions.begin() as session:
            await repository.finish(
                session,
                notification_id=nid,
                status=status,
                channel=channel.name,
                reason=reason,
                wechat_msgid=result.provider_id if mass else None,
                now=at,
            )
            await repository.add_events(
                session,
                notification_id=nid,
                events=[PendingEvent(at, status, reason or f"{channel.name} sent", channel.name)],
            )
            if result.sent and request.openid:
                await repository.use_window(
                    session, account_id=account.id, openid=request.openid, now=at
                )
        await self._publication_sent(request, nid, channel.name, status)

    async def _track(
        self, request: OutboundRequested, account_id: int, nid: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """The body with its links as tracked short links for this send (an agent's text, a
        late reply); links that already are short links (a publication's) stay as they are."""
        assert self._tracker is not None
        async with self._sessions.begin() as session:
            return await self._tracker.rewrite_custom(
                session,
                body,
                account_id=account_id,
                notification_id=nid,
                openid=request.openid,
                event_type=request.origin[:32],
                channel="wechat_custom",
            )

    async def _publication_sent(
        self, request: OutboundRequested, nid: str, channel: str, status: str
    ) -> None:
        """Tell statistics how many followers a publication's message went to (its reach)."""
        prefix, _, publication = (request.correlation_id or "").partition(":")
        if self._bus is None or request.origin != "publication" or prefix != "publication":
            return
        if not publication.isdigit():
            return
        event = PublicationSent(
            correlation_id=request.correlation_id,
            account=request.account,
            publication_id=int(publication),
            notification_id=nid,
            channel=channel,
            status=status,
            recipients=len(request.mass_openids or ()) or 1,
        )
        try:
            await self._bus.publish(
                EVENTS, "publication.sent", event.to_bytes(), message_id=event.message_id
            )
        except Exception:
            # The send is recorded in the database; only the statistics miss it.
            log.exception("publication_sent_not_published", notification_id=nid)

    def _remember(self, message_id: str) -> None:
        self._recent[message_id] = None
        if len(self._recent) > _RECENT_MAX:
            self._recent.popitem(last=False)
