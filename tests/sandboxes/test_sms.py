from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from sandboxes.sms import SmsState, build_app
from tests.sandboxes.support import FakeClock, SharedServer

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def state(clock: FakeClock) -> SmsState:
    return SmsState(clock=clock)


@pytest_asyncio.fixture(loop_scope="module")
async def client(shared_server: SharedServer, state: SmsState) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=shared_server.mount(build_app(state))) as http:
        yield http


def sms(
    message_id: str = "m-1", phone: str = "13812345678", text: str = "您的验证码 1234"
) -> dict[str, str]:
    return {"message_id": message_id, "phone": phone, "text": text}


async def test_send_delivers(client: httpx.AsyncClient, state: SmsState) -> None:
    response = await client.post("/send", json=sms())

    assert response.status_code == 200
    assert response.json() == {"ok": True, "id": state.messages["m-1"].id}
    assert state.messages["m-1"].text == "您的验证码 1234"
    assert state.delivered == 1


async def test_repeat_message_id_is_not_a_second_delivery(
    client: httpx.AsyncClient, state: SmsState
) -> None:
    first = (await client.post("/send", json=sms())).json()
    again = (await client.post("/send", json=sms(text="changed"))).json()
    other = (await client.post("/send", json=sms("m-2"))).json()

    assert again == first
    assert other["id"] != first["id"]
    assert state.delivered == 2
    stats = (await client.get("/__sandbox__/stats")).json()
    assert stats["calls"]["/send"] == {"ok": 2, "duplicate": 1}
    assert stats["delivered"] == 2


@pytest.mark.parametrize(
    "body",
    [
        sms(phone="12812345678"),
        sms(phone="1381234567"),
        sms(phone="138123456789"),
        sms(phone="+8613812345678"),
        sms(phone="23812345678"),
        sms(text=""),
        sms(text="字" * 501),
        sms(message_id=""),
        {"phone": "13812345678", "text": "x"},
        {"message_id": "m", "phone": 13812345678, "text": "x"},
    ],
)
async def test_invalid_sends_are_400(
    client: httpx.AsyncClient, state: SmsState, body: dict[str, Any]
) -> None:
    response = await client.post("/send", json=body)

    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert response.json()["error"]
    assert state.delivered == 0


async def test_unparsable_body_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/send", content=b"{nope")

    assert response.status_code == 400


async def test_500_chars_and_every_mobile_prefix_are_fine(client: httpx.AsyncClient) -> None:
    for n, prefix in enumerate("3456789"):
        body = sms(f"m-{n}", f"1{prefix}000000000", "字" * 500)
        assert (await client.post("/send", json=body)).json()["ok"] is True


async def test_ok_false_fault_with_count(client: httpx.AsyncClient, state: SmsState) -> None:
    armed = await client.post(
        "/__sandbox__/faults",
        json={"path": "/send", "ok": False, "error": "quota exceeded", "count": 2},
    )
    assert armed.status_code == 201

    answers = [(await client.post("/send", json=sms())).json() for _ in range(3)]

    assert answers[:2] == [{"ok": False, "error": "quota exceeded"}] * 2
    assert answers[2]["ok"] is True
    assert state.delivered == 1
    calls = (await client.get("/__sandbox__/calls", params={"path": "/send"})).json()["calls"]
    assert [c["outcome"] for c in calls] == ["error", "error", "ok"]
    assert calls[0]["body"] == sms()


async def test_http_status_fault(client: httpx.AsyncClient, state: SmsState) -> None:
    await client.post("/__sandbox__/faults", json={"path": "/send", "http_status": 503})

    response = await client.post("/send", json=sms())

    assert response.status_code == 503
    assert state.delivered == 0
    assert (await client.get("/__sandbox__/stats")).json()["calls"]["/send"] == {"http_503": 1}


async def test_latency_fault_times_out_a_client(client: httpx.AsyncClient, state: SmsState) -> None:
    await client.post("/__sandbox__/faults", json={"path": "/send", "latency_ms": 10_000})

    started = time.perf_counter()
    with pytest.raises(httpx.ReadTimeout):
        await client.post("/send", json=sms(), timeout=0.5)

    # The client gave up on its own timeout, long before the sandbox's 10 s latency.
    assert time.perf_counter() - started < 5.0


async def test_seeded_percent_fault_repeats(client: httpx.AsyncClient) -> None:
    fault = {"path": "/send", "ok": False, "percent": 50, "seed": 7}

    async def run() -> list[bool]:
        await client.delete("/__sandbox__/faults")
        await client.post("/__sandbox__/faults", json=fault)
        return [(await client.post("/send", json=sms(f"m-{i}"))).json()["ok"] for i in range(40)]

    first, second = await run(), await run()

    assert first == second
    assert 5 <= first.count(False) <= 35


@pytest.mark.parametrize(
    "spec",
    [
        {"path": "/send", "ok": True},
        {"path": "/send", "error": "x"},
        {"path": "/send", "ok": False, "error": 5},
        {"path": "/send", "http_status": 99},
        {"path": "/send", "latency_ms": -1},
        {"path": "/send", "ok": False, "seed": "x"},
    ],
)
async def test_bad_fault_specs_are_400(client: httpx.AsyncClient, spec: dict[str, Any]) -> None:
    assert (await client.post("/__sandbox__/faults", json=spec)).status_code == 400


async def test_messages_control(client: httpx.AsyncClient, state: SmsState) -> None:
    await client.post("/send", json=sms("a", "13800000001", "one"))
    await client.post("/send", json=sms("b", "13800000002", "two"))

    found = (await client.get("/__sandbox__/messages", params={"phone": "13800000002"})).json()

    assert [m["text"] for m in found["messages"]] == ["two"]
    await client.delete("/__sandbox__/messages")
    assert (await client.get("/__sandbox__/messages")).json() == {"messages": []}
