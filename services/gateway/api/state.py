"""The notification API's collaborators, built once per gateway and kept on ``app.state``."""

from __future__ import annotations

from dataclasses import dataclass

from libs.common.resources import Resources
from services.gateway.api.auth import SignatureVerifier
from services.gateway.notifications.acceptance import NotificationService
from services.gateway.notifications.config import ConfigCache
from services.gateway.notifications.jobs import JobRunner
from services.gateway.settings import GatewaySettings


@dataclass
class NotificationApi:
    """Config cache, signature check, acceptance service and CSV job runner of one gateway."""

    settings: GatewaySettings
    config: ConfigCache
    verifier: SignatureVerifier
    service: NotificationService
    jobs: JobRunner

    @classmethod
    def build(cls, settings: GatewaySettings, resources: Resources) -> NotificationApi:
        """Wire the API on the gateway's connections."""
        config = ConfigCache(
            resources.sessions, resources.secret_box, ttl_s=settings.api_config_ttl_s
        )
        service = NotificationService(
            resources.sessions,
            resources.bus,
            config,
            publish_concurrency=settings.publish_concurrency,
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
        )

    async def stop(self) -> None:
        """Interrupt running CSV jobs."""
        await self.jobs.stop()
