"""``python -m wxhub.healthcheck``: the container's HEALTHCHECK (exit 0 when the service is live).

One image runs any service, so the check asks ``/healthz`` on the port of each service the
settings name and passes when one answers 200 (a container runs one service).
``WXHUB_HEALTHCHECK_URL`` names the exact URL instead. Standard library only: it runs every few
seconds and must start fast.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

from libs.common.settings import CommonSettings

TIMEOUT_S = 2.0


def candidate_urls(settings: CommonSettings) -> list[str]:
    """Where to ask: ``WXHUB_HEALTHCHECK_URL``, else every service port on the loopback."""
    explicit = os.environ.get("WXHUB_HEALTHCHECK_URL")
    if explicit:
        return [explicit]
    ports = (
        settings.gateway_port,
        settings.admin_port,
        settings.stats_port,
        settings.engine_port,
        settings.dispatcher_port,
    )
    host = "127.0.0.1" if settings.host in {"0.0.0.0", "", "::"} else settings.host
    return [f"http://{host}:{port}/healthz" for port in ports]


def is_live(url: str) -> bool:
    """Whether ``url`` answers 200 within the timeout."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def main() -> int:
    return 0 if any(is_live(url) for url in candidate_urls(CommonSettings())) else 1


if __name__ == "__main__":
    sys.exit(main())
