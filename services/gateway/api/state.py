"""The notification API's collaborators, built once per gateway and kept on ``app.state``."""

from __future__ import annotations

from dataclasses import dataclass

from libs.common.resources import Resources
from services.gateway.api.auth import SignatureVerifier
from services.gateway.notifications.acceptance import NotificationService
from services.gateway.notifications.config import ConfigCache
from services.gateway.notifications.jobs import JobRunner
from services.gateway.notifications.publishing import OutboundPublisher
from services.gateway.notifications.sweeper import UnpublishedSweeper
from services.gateway.settings import GatewaySettings


@dataclass
class NotificationApi:
    """Config cache, signature check, acceptance, CSV jobs and the republish sweeper."""

    settings: GatewaySettings
    config: ConfigCache
    verifier: SignatureVerifier
    service: NotificationService
    jobs: JobRunner
    sweeper: UnpublishedSweeper

    @classmethod
    def build(cls, settings: GatewaySettings, resources: Resources) -> NotificationApi:
        """Wire the API on the gateway's connections."""
        config = ConfigCache(
            resources.sessions, resources.secret_box, ttl_s=settings.api_config_ttl_s
        )
        publisher = OutboundPublisher(
            resources.sessions, resources.bus, concurrency=settings.publish_concurrency
        )
        service = NotificationService(
            resources.sessions,
            config,
            publisher,
            box=resources.secret_box,
            republish_duplicate_after_s=settings.republish_duplicate_after_s,
        )
        return cls(
            settings=settings,
            config=config,
            verifier=SignatureVerifier(
                config,
                tolerance_s=settings.api_timestamp_tolerance_s,
                max_body_bytes=settings.api_max_body_bytes,
                max_upload_bytes=settings.csv_max_bytes,
            ),
            service=service,
            jobs=JobRunner(resources.sessions, config, service, chunk_rows=settings.csv_chunk_rows),
            sweeper=UnpublishedSweeper(
                resources.sessions,
                publisher,
                interval_s=settings.republish_interval_s,
                stale_after_s=settings.republish_after_s,
                batch=settings.republish_batch,
                max_pages=settings.republish_max_pages,
            ),
        )

    async def start(self) -> None:
        """Start republishing notifications that never reached the bus."""
        await self.sweeper.start()

    async def stop(self) -> None:
        """Interrupt running CSV jobs and stop the sweeper."""
        await self.sweeper.stop()
        await self.jobs.stop()
