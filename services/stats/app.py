"""Wiring: ``build(settings, resources)`` returns the stats service as a runnable Service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from starlette.applications import Starlette

from libs.common.bus import STATS_EVENTS, Subscription
from libs.common.db import is_sqlite
from libs.common.http_errors import install_error_handlers
from libs.common.material_storage import DatabaseMaterialStorage
from libs.common.observability.health import ReadinessCheck, probe_routes
from libs.common.observability.heartbeat import Heartbeat
from libs.common.periodic import Periodic
from libs.common.resources import Resources
from libs.common.short_links import ShortLinkSigner
from services.stats.handlers import event_handler
from services.stats.heartbeats import HeartbeatBook
from services.stats.media import media_routes
from services.stats.redirects import redirect_routes
from services.stats.settings import StatsSettings
from services.stats.store import EventStore


class StatsService:
    """Consumes ``stats.events`` into the event store; probes, metrics, the short links
    (``/r/<code>``) and material media (``/m/<sha256>``) over HTTP."""

    name = "stats"

    def __init__(self, settings: StatsSettings, resources: Resources) -> None:
        self.settings = settings
        self.port = settings.stats_port
        self.ops_port = settings.stats_ops_port
        self.resources = resources
        checks: dict[str, ReadinessCheck] = {"bus": resources.bus.ping}
        if settings.stats_store_events:
            checks["db"] = self._db_ready
        signer = ShortLinkSigner(settings.secret_key, settings.previous_secret_keys)
        self.app = Starlette(
            routes=[
                *probe_routes(self.name, checks),
                *redirect_routes(signer, resources.sessions, resources.bus),
                *media_routes(resources.sessions, DatabaseMaterialStorage()),
            ]
        )
        install_error_handlers(self.app)
        self.heartbeat = Heartbeat(
            resources.bus,
            service=self.name,
            instance_id=settings.instance_id or "stats",
            interval_s=settings.heartbeat_interval_s,
        )
        self.store: EventStore | None = None
        self.beats: HeartbeatBook | None = None
        self.maintenance: Periodic | None = None
        if settings.stats_store_events:
            self.store = EventStore(
                resources.db_engine,
                resources.sessions,
                max_items=settings.stats_commit_max_messages,
            )
            self.beats = HeartbeatBook(resources.sessions, sqlite_db=is_sqlite(resources.db_engine))
            self.maintenance = Periodic(
                self.maintain,
                interval_s=settings.stats_maintenance_interval_s,
                name="stats-maintenance",
                run_at_start=True,
            )
        self._subscription: Subscription | None = None

    async def _db_ready(self) -> bool:
        async with self.resources.db_engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    async def maintain(self) -> None:
        """Create the coming days' partitions and drop what outlived its retention."""
        if self.store is None:
            return
        now = datetime.now(UTC)
        ahead = self.settings.stats_partition_days_ahead
        await self.store.ensure_partitions(
            {(now + timedelta(days=n)).date() for n in range(ahead + 1)}
        )
        await self.store.prune(
            now=now,
            raw_days=self.settings.stats_raw_retention_days,
            rollup_days={
                "minute": self.settings.stats_minute_retention_days,
                "hour": self.settings.stats_hour_retention_days,
                "day": self.settings.stats_day_retention_days,
            },
        )
        if self.beats is not None:
            await self.beats.prune(
                before=now - timedelta(days=self.settings.stats_heartbeat_retention_days)
            )

    async def start(self) -> None:
        """Consume events and beat; partitions and retention are kept by the maintenance loop
        (its first run is now; the store also creates a missing partition itself)."""
        if self.maintenance is not None:
            await self.maintenance.start()
        store = self.store.store if self.store is not None else None
        self._subscription = await self.resources.bus.consume(
            STATS_EVENTS,
            event_handler(
                store,
                retry_delay_s=self.settings.stats_store_retry_s,
                beats=self.beats.record if self.beats is not None else None,
            ),
            prefetch=self.settings.stats_prefetch,
        )
        await self.heartbeat.start()

    async def stop(self) -> None:
        """Stop consuming (unacked messages go back to the queue), finish writes, stop beating."""
        if self._subscription is not None:
            await self._subscription.cancel()
        if self.store is not None:
            await self.store.drain()
        if self.maintenance is not None:
            await self.maintenance.stop()
        await self.heartbeat.stop()


def build(settings: StatsSettings, resources: Resources) -> StatsService:
    """Assemble the stats service on the given connections."""
    return StatsService(settings, resources)
