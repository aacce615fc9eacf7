"""Wiring: ``build(settings, resources)`` returns the dispatcher as a runnable :class:`Service`.

HTTP (port 8084): ``/healthz``, ``/readyz`` and ``/metrics`` only. Dead letters are listed and
replayed through the admin API (authenticated and audited).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from starlette.applications import Starlette

from libs.common.bus import DISPATCHER_ALERT, DISPATCHER_BULK, Subscription, typed_handler
from libs.common.http_errors import install_error_handlers
from libs.common.observability.health import probe_routes
from libs.common.observability.heartbeat import Heartbeat
from libs.common.redis_pipeline import PipelinedRedis
from libs.common.resources import Resources
from libs.common.schemas.events import WeChatJobFinished
from libs.common.schemas.outbound import OutboundRequested
from libs.common.short_links import LinkTracker, ShortLinkSigner
from services.dispatcher.accounts import AccountDirectory
from services.dispatcher.channels import ChannelContext, ChannelRegistry, load_channels
from services.dispatcher.delivery import DeliveryService
from services.dispatcher.delivery.plan import ChannelPlan
from services.dispatcher.delivery_reports import REPORTS, DeliveryReportHandler, reports_topology
from services.dispatcher.fallback import RetryPolicy
from services.dispatcher.handlers import INTERACTIONS, InteractionHandler, interactions_topology
from services.dispatcher.http.client import LeanAsyncClient
from services.dispatcher.http.transport import KeepAliveTransport
from services.dispatcher.rate_limit import RateLimiter, SharedRateLimiter
from services.dispatcher.settings import DispatcherSettings


class DispatcherService:
    """Consumes ``dispatcher.alert``/``dispatcher.bulk``/``dispatcher.interactions``/
    ``dispatcher.reports``; probes and metrics over HTTP."""

    name = "dispatcher"

    def __init__(self, settings: DispatcherSettings, resources: Resources) -> None:
        self.settings = settings
        self.port = settings.dispatcher_port
        self.ops_port = settings.dispatcher_ops_port
        self.resources = resources
        owner = settings.instance_id or f"dispatcher-{uuid.uuid4().hex[:8]}"
        timeout = httpx.Timeout(settings.http_timeout_s)
        self._clients: list[httpx.AsyncClient] = []
        self.directory = AccountDirectory(
            resources.sessions,
            resources.secret_box,
            self._client(timeout, 4, lean=False),
            api_base=settings.wechat_api_base,
            owner=owner,
            ttl_s=settings.config_cache_s,
            margin_s=settings.token_refresh_margin_s,
            lease_s=settings.token_lease_s,
            prefer_stable=settings.prefer_stable_token,
        )
        self.tracker = LinkTracker(
            ShortLinkSigner(settings.secret_key, settings.previous_secret_keys),
            settings.short_link_base,
        )
        self.limiter = self._limiter()
        policy = RetryPolicy(
            max_attempts=settings.max_attempts,
            base_s=settings.backoff_base_s,
            max_s=settings.backoff_max_s,
            throttle_s=settings.throttle_backoff_s,
        )
        self.services = {
            priority: self._delivery(timeout, concurrency, policy)
            for priority, concurrency in (
                ("alert", settings.alert_concurrency),
                ("bulk", settings.bulk_concurrency),
            )
        }
        self.interactions = InteractionHandler(
            resources.sessions,
            self.directory,
            message_window=timedelta(seconds=settings.message_window_s),
            message_quota=settings.message_window_quota,
            event_window=timedelta(seconds=settings.event_window_s),
            event_quota=settings.event_window_quota,
        )
        self.reports = DeliveryReportHandler(
            resources.sessions,
            self.directory,
            resources.bus,
            wait_s=settings.report_wait_s,
            retry_s=settings.report_retry_s,
            events_interval_s=settings.events_interval_s,
        )
        self.heartbeat = Heartbeat(
            resources.bus,
            service=self.name,
            instance_id=owner,
            interval_s=settings.heartbeat_interval_s,
        )
        self.app = Starlette(routes=probe_routes(self.name, {"bus": resources.bus.ping}))
        install_error_handlers(self.app)
        self._subscriptions: list[Subscription] = []

    def _limiter(self) -> RateLimiter:
        """Limits shared by every replica through Redis when there is one, else this process's."""
        settings = self.settings
        if not settings.redis_url:
            return RateLimiter(
                account_rate=settings.account_rate_per_s,
                api_rates=settings.api_rates_per_s,
                burst_s=settings.rate_burst_s,
            )
        return SharedRateLimiter(
            PipelinedRedis(settings.redis_url),
            account_rate=settings.account_rate_per_s,
            api_rates=settings.api_rates_per_s,
            burst_s=settings.rate_burst_s,
            replicas=settings.rate_limit_replicas,
            prefix=f"wxhub:{settings.bus_namespace}rl:",
        )

    def _client(
        self, timeout: httpx.Timeout, connections: int, *, lean: bool = True
    ) -> httpx.AsyncClient:
        """An HTTP client; ``lean`` ones (the send path) are :class:`LeanAsyncClient`."""
        client: httpx.AsyncClient
        if lean:
            transport = KeepAliveTransport(
                max_connections=connections, proxy=self.settings.http_proxy
            )
            client = LeanAsyncClient(transport, timeout=timeout)
        else:
            limits = httpx.Limits(
                max_connections=connections, max_keepalive_connections=connections
            )
            client = httpx.AsyncClient(
                timeout=timeout, limits=limits, proxy=self.settings.http_proxy
            )
        self._clients.append(client)
        return client

    def _delivery(
        self, timeout: httpx.Timeout, concurrency: int, policy: RetryPolicy
    ) -> DeliveryService:
        """The delivery service of one priority class, with its own channels and pools."""
        settings = self.settings
        channels = self._channels(timeout, concurrency)
        return DeliveryService(
            sessions=self.resources.sessions,
            bus=self.resources.bus,
            directory=self.directory,
            channels=channels,
            limiter=self.limiter,
            policy=policy,
            plan=ChannelPlan.configure(
                channels, order=settings.channel_plan, fallback=settings.fallback_channel
            ),
            batch_max=settings.batch_max,
            default_deadline_s=settings.default_deadline_s,
            claim_lease_s=settings.claim_lease_s,
            events_interval_s=settings.events_interval_s,
            sends_in_flight=min(concurrency, settings.http_connections),
            tracker=self.tracker,
        )

    def _channels(self, timeout: httpx.Timeout, concurrency: int) -> ChannelRegistry:
        """The configured channels with their own connection pools (one set per priority)."""
        connections = min(concurrency, self.settings.http_connections)
        context = ChannelContext(
            self.settings, self.directory, lambda: self._client(timeout, connections)
        )
        return load_channels(context)

    async def start(self) -> None:
        """Declare the interactions queue, start the consumers and the heartbeat."""
        bus, settings = self.resources.bus, self.settings
        await bus.declare(interactions_topology())
        await bus.declare(reports_topology())
        await self.reports.start()
        for service in self.services.values():
            await service.start()
        # Alerts first: subscribed before bulk, with the larger budget.
        self._subscriptions.append(
            await bus.consume(
                DISPATCHER_ALERT,
                typed_handler(OutboundRequested, self.services["alert"]),
                prefetch=settings.alert_concurrency,
            )
        )
        self._subscriptions.append(
            await bus.consume(
                DISPATCHER_BULK,
                typed_handler(OutboundRequested, self.services["bulk"]),
                prefetch=settings.bulk_concurrency,
            )
        )
        self._subscriptions.append(
            await bus.consume(
                INTERACTIONS,
                self.interactions,
                prefetch=settings.interactions_concurrency,
            )
        )
        self._subscriptions.append(
            await bus.consume(
                REPORTS,
                typed_handler(WeChatJobFinished, self.reports),
                prefetch=settings.interactions_concurrency,
            )
        )
        await self.heartbeat.start()

    async def stop(self) -> None:
        """Stop consuming (unacked messages go back to their queues), close HTTP pools."""
        for subscription in self._subscriptions:
            await subscription.cancel()
        self._subscriptions.clear()
        for service in self.services.values():
            await service.stop()
        await self.reports.stop()
        await self.heartbeat.stop()
        for client in self._clients:
            await client.aclose()
        await self.limiter.close()


def build(settings: DispatcherSettings, resources: Resources) -> DispatcherService:
    """Assemble the dispatcher on the given connections."""
    return DispatcherService(settings, resources)
