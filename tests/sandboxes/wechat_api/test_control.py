"""The WeChat API sandbox: The control API: faults, the call log, stats."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from sandboxes.wechat_api import DEMO_APPID, WeChatApiState, build_app
from tests.sandboxes.support import SharedServer
from tests.sandboxes.wechat_api.support import (
    CUSTOM,
    TEMPLATE,
    classic_token,
    post,
    stable_token,
    text,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_errcode_fault_fires_count_times(
    client: httpx.AsyncClient, token: str, state: WeChatApiState
) -> None:
    armed = await client.post(
        "/__sandbox__/faults", json={"path": CUSTOM, "errcode": 45015, "count": 3}
    )
    assert armed.status_code == 201

    codes = [(await post(client, CUSTOM, token, text("o1")))["errcode"] for _ in range(5)]

    assert codes == [45015, 45015, 45015, 0, 0]
    stats = (await client.get("/__sandbox__/stats")).json()
    assert stats["calls"][CUSTOM] == {"45015": 3, "0": 2}
    assert [c.errcode for c in state.calls.find(CUSTOM)] == [45015, 45015, 45015, 0, 0]
    assert (await client.get("/__sandbox__/faults")).json() == {"faults": []}


async def test_faults_only_hit_their_path(client: httpx.AsyncClient, token: str) -> None:
    await client.post("/__sandbox__/faults", json={"path": TEMPLATE, "errcode": -1})

    assert (await post(client, CUSTOM, token, text("o1")))["errcode"] == 0


async def test_seeded_percent_fault_is_deterministic(client: httpx.AsyncClient, token: str) -> None:
    fault = {"path": CUSTOM, "http_status": 503, "percent": 20, "seed": 1}

    async def run() -> list[int]:
        await client.delete("/__sandbox__/faults")
        await client.post("/__sandbox__/faults", json=fault)
        statuses = []
        for _ in range(100):
            response = await client.post(
                CUSTOM, params={"access_token": token}, json=text("o1", "hi")
            )
            statuses.append(response.status_code)
        return statuses

    first, second = await run(), await run()

    assert first == second
    assert set(first) == {200, 503}
    assert 5 <= first.count(503) <= 40


async def test_latency_fault_delays_then_answers_normally(
    client: httpx.AsyncClient, token: str
) -> None:
    await client.post("/__sandbox__/faults", json={"path": CUSTOM, "latency_ms": 300, "count": 1})

    started = time.perf_counter()
    slow = await post(client, CUSTOM, token, text("o1"))
    slow_s = time.perf_counter() - started
    started = time.perf_counter()
    await post(client, CUSTOM, token, text("o1"))
    fast_s = time.perf_counter() - started

    assert slow["errcode"] == 0
    assert slow_s >= 0.3
    assert fast_s < 0.3


async def test_wildcard_fault_and_clear(client: httpx.AsyncClient, token: str) -> None:
    await client.post("/__sandbox__/faults", json={"path": "*", "http_status": 502})
    assert (
        await client.get("/cgi-bin/menu/get", params={"access_token": token})
    ).status_code == 502

    cleared = await client.delete("/__sandbox__/faults")

    assert cleared.json() == {"ok": True, "cleared": 1}
    assert (await post(client, CUSTOM, token, text("o1")))["errcode"] == 0


@pytest.mark.parametrize(
    "spec",
    [
        {"errcode": 1},
        {"path": CUSTOM},
        {"path": CUSTOM, "errcode": "x"},
        {"path": CUSTOM, "errcode": 1, "percent": 101},
        {"path": CUSTOM, "errcode": 1, "count": 0},
        {"path": CUSTOM, "errcode": 1, "colour": "red"},
    ],
)
async def test_bad_fault_specs_are_refused(client: httpx.AsyncClient, spec: dict[str, Any]) -> None:
    response = await client.post("/__sandbox__/faults", json=spec)

    assert response.status_code == 400
    assert (await client.get("/__sandbox__/faults")).json() == {"faults": []}


async def test_calls_are_recorded_and_can_be_cleared(client: httpx.AsyncClient, token: str) -> None:
    await post(client, CUSTOM, token, text("o1", "记录"))
    await post(client, CUSTOM, token, text("", "x"))

    calls = (await client.get("/__sandbox__/calls", params={"path": CUSTOM})).json()["calls"]

    assert [c["outcome"] for c in calls] == ["0", "40003"]
    assert [c["errcode"] for c in calls] == [0, 40003]
    assert calls[0]["body"]["text"]["content"] == "记录"
    assert calls[0]["query"]["access_token"] == token
    limited = (await client.get("/__sandbox__/calls", params={"limit": "1"})).json()["calls"]
    assert [c["outcome"] for c in limited] == ["40003"]

    await client.delete("/__sandbox__/calls")

    assert (await client.get("/__sandbox__/calls")).json() == {"calls": []}
    assert (await client.get("/__sandbox__/stats")).json()["total"] == 0


async def test_stable_token_secret_is_not_recorded(client: httpx.AsyncClient) -> None:
    await stable_token(client)

    calls = (await client.get("/__sandbox__/calls")).json()["calls"]

    assert calls[0]["body"]["secret"] == "***"


async def test_call_log_is_bounded_but_counters_are_not(shared_server: SharedServer) -> None:
    state = WeChatApiState(call_log_size=3)
    async with httpx.AsyncClient(base_url=shared_server.mount(build_app(state))) as http:
        for _ in range(5):
            await http.post(CUSTOM, json=text("o1"))
        stats = (await http.get("/__sandbox__/stats")).json()

    assert len(state.calls) == 3
    assert stats["calls"][CUSTOM] == {"41001": 5}


async def test_stats_count_token_issuance(client: httpx.AsyncClient) -> None:
    await classic_token(client)
    await classic_token(client)
    await stable_token(client)
    await stable_token(client)

    stats = (await client.get("/__sandbox__/stats")).json()

    assert stats["tokens_issued"] == {DEMO_APPID: {"classic": 2, "stable": 1}}
    assert stats["calls"]["/cgi-bin/stable_token"] == {"0": 2}
