"""``wxhub serve <service>``: the same as ``python -m services.<service>``, by catalogue name."""

from __future__ import annotations

from libs.common.serving import main
from wxhub.services import catalogue


def serve_one(name: str) -> int:
    """Serve one service until SIGTERM; returns the process exit status."""
    entry = catalogue()[name]
    return main(entry.settings, entry.build_service)
