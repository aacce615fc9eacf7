"""The delivery service of one priority class: the bus entry point and its parts, wired.

A notification's message is a doorbell; a custom message carries its body (see the package
docstring). A database outage puts the message back on its queue instead of dead-lettering it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.bus import Bus, Message, Retry
from libs.common.bus.dead_letters import REPLAY_HEADER
from libs.common.observability.logging import get_logger
from libs.common.schemas.outbound import OutboundRequested
from libs.common.short_links import LinkTracker
from services.dispatcher.accounts import AccountDirectory
from services.dispatcher.channels import ChannelRegistry
from services.dispatcher.delivery.attempts import Attempts, Sender
from services.dispatcher.delivery.claims import Claims, Leases
from services.dispatcher.delivery.custom_sends import CustomSends
from services.dispatcher.delivery.events import StatusPublisher
from services.dispatcher.delivery.finishes import Transitions
from services.dispatcher.delivery.notifications import NotificationDelivery
from services.dispatcher.delivery.plan import ChannelPlan
from services.dispatcher.delivery.windows import ServiceWindows
from services.dispatcher.fallback import RetryPolicy
from services.dispatcher.rate_limit import RateLimiter, seconds_until_daily_reset

log = get_logger(__name__)


class DeliveryService:
    """Delivers the notifications and custom messages of one priority class.

    Claims and transitions of concurrent deliveries are written in shared transactions; each
    delivery still waits for its own commit before its bus message is acked.
    """

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        bus: Bus,
        directory: AccountDirectory,
        channels: ChannelRegistry,
        limiter: RateLimiter,
        policy: RetryPolicy,
        plan: ChannelPlan,
        quota_reset: Callable[[], float] = seconds_until_daily_reset,
        batch_max: int = 200,
        default_deadline_s: float = 30.0,
        claim_lease_s: float = 10.0,
        events_interval_s: float = 0.2,
        sends_in_flight: int = 32,
        tracker: LinkTracker | None = None,
    ) -> None:
        windows = ServiceWindows(sessions, directory, plan.windowed)
        sender = Sender(in_flight=sends_in_flight)
        self.claims = Claims(
            sessions,
            windows,
            batch_max=batch_max,
            lease_s=claim_lease_s,
            default_deadline=timedelta(seconds=default_deadline_s),
        )
        self.leases = Leases(sessions, lease_s=claim_lease_s)
        self.transitions = Transitions(sessions, fallback=plan.fallback_name, batch_max=batch_max)
        self.events = StatusPublisher(bus, interval_s=events_interval_s)
        self.notifications = NotificationDelivery(
            sessions=sessions,
            directory=directory,
            claims=self.claims,
            leases=self.leases,
            plan=plan,
            windows=windows,
            attempts=Attempts(sender, limiter, windows, policy=policy, quota_reset=quota_reset),
            transitions=self.transitions,
            events=self.events,
            tracker=tracker,
        )
        self.custom_sends = CustomSends(
            sessions=sessions,
            directory=directory,
            channels=channels,
            limiter=limiter,
            sender=sender,
            policy=policy,
            bus=bus,
            tracker=tracker,
        )

    async def start(self) -> None:
        """Start publishing status events and renewing claim leases."""
        await self.events.start()
        await self.leases.start()

    async def stop(self) -> None:
        """Finish the batches being written, publish the status events still queued."""
        await self.claims.drain()
        await self.transitions.drain()
        await self.leases.stop()
        await self.events.stop()

    async def __call__(self, request: OutboundRequested, message: Message) -> None:
        """Bus entry point (see :func:`libs.common.bus.typed_handler`)."""
        try:
            if request.notification_id is None:
                await self.custom_sends(request)
            else:
                replay = bool(message.headers.get(REPLAY_HEADER))
                await self.notifications(request.notification_id, replay=replay)
        except (OperationalError, DBAPIError, OSError) as exc:
            # The database is unreachable: put the message back rather than dead-letter it.
            log.warning("delivery_db_unavailable", error=str(exc))
            raise Retry("database unavailable", delay_s=1.0) from exc
