"""``/docs`` and ``/redoc`` of the gateway and the admin API load nothing from another host, and
the OpenAPI documents the common error body for the error statuses."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from libs.common.bus import MemoryBus, default_topology
from libs.common.callback_ledger import MemoryCallbackLedger
from libs.common.resources import open_resources
from libs.common.settings import CommonSettings
from wxhub.services import catalogue

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)
URL_IN_SCRIPT = re.compile(r"https?://(?!localhost|127\.0\.0\.1)[^\s\"'<>]+")


@pytest.fixture
async def apps(tmp_path: Path) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    settings = CommonSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/wxhub.db")
    bus = MemoryBus()
    await bus.connect()
    await bus.declare(default_topology())
    resources = await open_resources(settings, bus=bus, ledger=MemoryCallbackLedger())
    clients = {}
    for name in ("gateway", "admin_api"):
        entry = catalogue()[name]
        service = entry.build(entry.settings(database_url=settings.database_url), resources)
        transport = httpx.ASGITransport(app=service.app)
        clients[name] = httpx.AsyncClient(transport=transport, base_url="http://intranet")
    yield clients
    for client in clients.values():
        await client.aclose()
    await resources.close()
    await bus.close()


@pytest.mark.parametrize("service", ["gateway", "admin_api"])
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_only_local_assets(
    apps: dict[str, httpx.AsyncClient], service: str, page: str
) -> None:
    client = apps[service]
    html = (await client.get(page)).text
    assert not EXTERNAL.search(html), html
    assert not URL_IN_SCRIPT.search(html), html
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    scripts = [a for a in assets if a.endswith(".js")]
    assert scripts, html
    for asset in assets:
        response = await client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 100, asset


async def test_admin_openapi_is_also_at_the_conventional_path(
    apps: dict[str, httpx.AsyncClient],
) -> None:
    client = apps["admin_api"]
    conventional = await client.get("/openapi.json")
    assert conventional.status_code == 200
    assert conventional.json() == (await client.get("/api/v1/openapi.json")).json()
    assert "/docs" not in conventional.json()["paths"]


@pytest.mark.parametrize(
    ("service", "path", "method", "statuses"),
    [
        ("admin_api", "/api/v1/orgs", "post", ("401", "403", "404", "409", "422")),
        ("admin_api", "/api/v1/dead-letters/replay", "post", ("401", "403", "422")),
        ("gateway", "/api/v1/notifications", "post", ("401", "409", "422")),
        ("gateway", "/api/v1/notifications/{notification_id}", "get", ("401", "404")),
    ],
)
async def test_openapi_documents_error_responses_with_the_error_body(
    apps: dict[str, httpx.AsyncClient],
    service: str,
    path: str,
    method: str,
    statuses: tuple[str, ...],
) -> None:
    client = apps[service]
    url = "/openapi.json" if service == "gateway" else "/api/v1/openapi.json"
    spec = (await client.get(url)).json()
    responses = spec["paths"][path][method]["responses"]
    for status in statuses:
        schema = responses[status]["content"]["application/json"]["schema"]
        name = schema["$ref"].rsplit("/", 1)[-1]
        body = spec["components"]["schemas"][name]
        assert {"code", "message", "errors"} <= set(body["properties"]), (status, body)
        assert body["properties"]["code"].get("examples"), body
