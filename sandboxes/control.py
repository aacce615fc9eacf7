"""The control API every sandbox serves under ``/__sandbox__/`` (faults, calls, stats)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandboxes.endpoint import SandboxBase
from sandboxes.faults import FaultSpecError, JsonObject

PREFIX = "/__sandbox__"

ExtraStats = Callable[[], JsonObject]


async def read_json_object(request: Request) -> JsonObject | None:
    """The request body as a JSON object, ``{}`` when empty, or None when it is not one."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        value: Any = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def bad_request(message: str) -> Response:
    """A 400 answer for a malformed control request."""
    return JSONResponse({"ok": False, "error": message}, 400)


def control_routes(base: SandboxBase, extra_stats: ExtraStats | None = None) -> list[Route]:
    """Routes for ``/__sandbox__/faults``, ``/__sandbox__/calls`` and ``/__sandbox__/stats``."""

    async def add_fault(request: Request) -> Response:
        spec = await read_json_object(request)
        if spec is None:
            return bad_request("body must be a JSON object")
        try:
            base.faults.add(spec)
        except FaultSpecError as exc:
            return bad_request(str(exc))
        return JSONResponse({"ok": True, "faults": base.faults.describe()}, 201)

    async def list_faults(request: Request) -> Response:
        return JSONResponse({"faults": base.faults.describe()})

    async def clear_faults(request: Request) -> Response:
        cleared = len(base.faults)
        base.faults.clear()
        return JSONResponse({"ok": True, "cleared": cleared})

    async def list_calls(request: Request) -> Response:
        calls = base.calls.find(request.query_params.get("path"))
        limit = request.query_params.get("limit")
        if limit is not None:
            if not limit.isdigit():
                return bad_request("limit must be a non-negative integer")
            calls = calls[len(calls) - int(limit) :] if int(limit) else []
        return JSONResponse({"calls": [c.as_json() for c in calls]})

    async def clear_calls(request: Request) -> Response:
        base.calls.clear()
        return JSONResponse({"ok": True})

    async def stats(request: Request) -> Response:
        body: JsonObject = {
            "calls": base.calls.counts_json(),
            "total": sum(base.calls.counts.values()),
        }
        if extra_stats is not None:
            body.update(extra_stats())
        return JSONResponse(body)

    return [
        Route(f"{PREFIX}/faults", add_fault, methods=["POST"]),
        Route(f"{PREFIX}/faults", list_faults, methods=["GET"]),
        Route(f"{PREFIX}/faults", clear_faults, methods=["DELETE"]),
        Route(f"{PREFIX}/calls", list_calls, methods=["GET"]),
        Route(f"{PREFIX}/calls", clear_calls, methods=["DELETE"]),
        Route(f"{PREFIX}/stats", stats, methods=["GET"]),
    ]
