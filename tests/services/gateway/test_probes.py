"""Every service's probes and metrics, as served by the gateway and engine under test."""

from __future__ import annotations

import httpx

from tests.services.support import InboundStack


async def test_gateway_and_engine_probes(stack: InboundStack) -> None:
    assert (await stack.client.get("/healthz")).json()["status"] == "ok"
    ready = await stack.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"bus": True, "ledger": True, "accounts": True}
    metrics = await stack.client.get("/metrics")
    assert "wxhub_gateway_callbacks_total" in metrics.text
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=stack.engine.app), base_url="http://engine"
    ) as engine:
        assert (await engine.get("/readyz")).status_code == 200


async def test_readyz_fails_when_the_bus_is_down(stack: InboundStack) -> None:
    await stack.bus.close()
    ready = await stack.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["bus"] is False
