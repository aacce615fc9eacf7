"""Wiring: ``build(settings, resources)`` returns the stats service as a runnable Service."""

from __future__ import annotations

from starlette.applications import Starlette

from libs.common.bus import STATS_EVENTS, Subscription
from libs.common.http_errors import install_error_handlers
from libs.common.observability.health import probe_routes
from libs.common.observability.heartbeat import Heartbeat
from libs.common.resources import Resources
from services.stats.handlers import on_event
from services.stats.settings import StatsSettings


class StatsService:
    """Consumes ``stats.events``; probes and metrics over HTTP."""

    name = "stats"

    def __init__(self, settings: StatsSettings, resources: Resources) -> None:
        self.settings = settings
        self.port = settings.stats_port
        self.ops_port = settings.stats_ops_port
        self.resources = resources
        self.app = Starlette(routes=probe_routes(self.name, {"bus": resources.bus.ping}))
        install_error_handlers(self.app)
        self.heartbeat = Heartbeat(
            resources.bus,
            service=self.name,
            instance_id=settings.instance_id or "stats",
            interval_s=settings.heartbeat_interval_s,
        )
        self._subscription: Subscription | None = None

    async def start(self) -> None:
        """Start consuming events and the heartbeat."""
        self._subscription = await self.resources.bus.consume(STATS_EVENTS, on_event)
        await self.heartbeat.start()

    async def stop(self) -> None:
        """Stop consuming and the heartbeat."""
        if self._subscription is not None:
            await self._subscription.cancel()
        await self.heartbeat.stop()


def build(settings: StatsSettings, resources: Resources) -> StatsService:
    """Assemble the stats service on the given connections."""
    return StatsService(settings, resources)
