"""``/healthz`` (the process lives) and ``/readyz`` (its dependencies answer) for every service."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from libs.common.observability.metrics import metrics_endpoint

ReadinessCheck = Callable[[], Awaitable[bool]]

# What the operations port serves when it is separate from the public one.
OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def probe_routes(service: str, checks: Mapping[str, ReadinessCheck]) -> list[BaseRoute]:
    """Routes for ``/healthz``, ``/readyz`` and ``/metrics``, to mount in a service's HTTP app."""

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok", "service": service})

    async def readyz(_request: Request) -> Response:
        results: dict[str, bool] = {}
        for name, check in checks.items():
            try:
                results[name] = await asyncio.wait_for(check(), timeout=2.0)
            except Exception:
                results[name] = False
        ready = all(results.values())
        body = {"status": "ready" if ready else "not_ready", "service": service, "checks": results}
        return JSONResponse(body, status_code=200 if ready else 503)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
    ]
