"""The business-integration adapter against the real core-system sandbox (R-EN-11)."""

from __future__ import annotations

import httpx
import pytest

from sandboxes.server import RunningServer
from services.engine.core_system import (
    CoreSystemError,
    HttpCoreSystem,
    IdentityMismatch,
    NotFound,
)


async def test_reads_nav_and_maps_404_and_timeouts(core_sandbox: RunningServer) -> None:
    base = f"http://127.0.0.1:{core_sandbox.port}"
    # 2 s: ample for the loopback sandbox on a busy machine, short against the 5 s latency fault.
    async with httpx.AsyncClient(timeout=2.0) as http:
        core = HttpCoreSystem(http, base)
        nav = await core.fund_nav("000001")
        assert nav["code"] == "000001"
        assert "nav_date" in nav
        with pytest.raises(NotFound):
            await core.fund_nav("999999")
        fault = {"path": "/v1/gold/price", "latency_ms": 5000, "count": 1}
        assert (await http.post(f"{base}/__sandbox__/faults", json=fault)).status_code < 300
        with pytest.raises(CoreSystemError):
            await core.gold_price()
        fault = {"path": "/v1/fx/rates", "http_status": 503, "count": 1}
        assert (await http.post(f"{base}/__sandbox__/faults", json=fault)).status_code < 300
        with pytest.raises(CoreSystemError):
            await core.fx_rates()
        assert (await core.fx_rates())["rates"]


async def test_unreachable_core_system_is_an_error() -> None:
    async with httpx.AsyncClient(timeout=0.3) as http:
        with pytest.raises(CoreSystemError):
            await HttpCoreSystem(http, "http://127.0.0.1:9").promotions()


async def test_personal_queries_verify_balance_and_transactions(
    core_sandbox: RunningServer,
) -> None:
    base = f"http://127.0.0.1:{core_sandbox.port}"
    async with httpx.AsyncClient(timeout=2.0) as http:
        core = HttpCoreSystem(http, base)
        verified = await core.verify_identity("110101199003070011", "6222020000000012345", "123456")
        with pytest.raises(IdentityMismatch):
            await core.verify_identity("110101199003070011", "6222020000000012345", "000000")
        balance = await core.balance(verified["customer_no"])
        recent = await core.transactions(verified["customer_no"], 3)
        with pytest.raises(NotFound):
            await core.balance("C99999999")

    assert verified["customer_no"] == "C00000001"
    assert balance["as_of"]
    assert balance["accounts"]
    assert len(recent["items"]) == 3
    assert recent["as_of"]
