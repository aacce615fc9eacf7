"""``wxhub serve <service>``: one service on its own connections (as ``python -m services.x``)."""

from __future__ import annotations

from libs.common.observability.logging import configure_logging
from libs.common.resources import open_resources
from libs.common.serving import serve_services
from wxhub.services import catalogue


async def serve_one(name: str) -> None:
    """Connect, serve until SIGTERM, disconnect."""
    entry = catalogue()[name]
    settings = entry.settings()
    configure_logging(settings.log_level, json=settings.log_json)
    resources = await open_resources(settings)
    try:
        await serve_services([entry.build(settings, resources)], settings.host)
    finally:
        await resources.close()
