"""``python -m services.admin_api``: run one admin API instance on its own connections."""

from __future__ import annotations

from libs.common.observability.logging import configure_logging
from libs.common.resources import open_resources
from libs.common.serving import run, serve_services
from services.admin_api.app import build
from services.admin_api.settings import AdminSettings


async def main() -> None:
    """Connect, serve until SIGTERM, disconnect."""
    settings = AdminSettings()
    configure_logging(settings.log_level, json=settings.log_json)
    resources = await open_resources(settings)
    try:
        await serve_services([build(settings, resources)], settings.host)
    finally:
        await resources.close()


if __name__ == "__main__":
    run(main())
