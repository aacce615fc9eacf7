"""``python -m services.dispatcher``: run one dispatcher instance on its own connections."""

from __future__ import annotations

from libs.common.observability.logging import configure_logging
from libs.common.resources import open_resources
from libs.common.serving import run, serve_services
from services.dispatcher.app import build
from services.dispatcher.settings import DispatcherSettings


async def main() -> None:
    """Connect, serve until SIGTERM, disconnect."""
    settings = DispatcherSettings()
    configure_logging(settings.log_level, json=settings.log_json)
    resources = await open_resources(settings)
    try:
        await serve_services([build(settings, resources)], settings.host)
    finally:
        await resources.close()


if __name__ == "__main__":
    run(main())
