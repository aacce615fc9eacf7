"""Two gateway processes and one engine on RabbitMQ + PostgreSQL + Redis: a WeChat retry landing on
the other gateway gets the first reply, and the engine handles the message once (R-IN-4, R-IN-5)."""

from __future__ import annotations

import asyncio
import itertools
import re

import httpx
import pytest

from libs.common.bus import EVENTS, AmqpBus, Delivery, Queue, Topology
from libs.common.schemas.events import HeartbeatSent
from libs.common.wechat import parse_xml
from sandboxes.server import RunningServer
from sandboxes.wechat_push import CallbackPusher
from tests.e2e.support import platform_env, wait_ready
from wxhub.demo.account import DEMO
from wxhub.processes import ProcessGroup

pytestmark = [pytest.mark.e2e, pytest.mark.amqp, pytest.mark.postgres, pytest.mark.redis]

_ids = itertools.count(7_100_000_000_000_000_000)


async def heartbeats_seen(amqp_url: str, namespace: str) -> set[str]:
    """Services whose heartbeat arrives on wx.events within a few seconds."""
    bus = AmqpBus(amqp_url, namespace=namespace)
    await bus.connect()
    probe = Topology(queues=[Queue("test.heartbeats", [(EVENTS, "heartbeat.*")])])
    await bus.declare(probe)
    seen: set[str] = set()

    async def collect(delivery: Delivery) -> None:
        seen.add(HeartbeatSent.from_bytes(delivery.message.body).service)
        await delivery.ack()

    try:
        await bus.consume("test.heartbeats", collect)
        for _ in range(50):
            if {"engine", "gateway"} <= seen:
                break
            await asyncio.sleep(0.1)
    finally:
        await bus.delete(probe)
        await bus.close()
    return seen


def handled_count(metrics_text: str, answer: str) -> float:
    """Sum of wxhub_engine_messages_total samples for one answer."""
    total = 0.0
    for line in metrics_text.splitlines():
        if line.startswith("wxhub_engine_messages_total{") and f'answer="{answer}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


async def test_retry_on_other_gateway_gets_first_reply_and_is_handled_once(
    processes: ProcessGroup,
    e2e_database: str,
    e2e_namespace: str,
    amqp_url: str,
    redis_url: str,
    core_sandbox_server: RunningServer,
) -> None:
    processes.env.update(
        platform_env(
            database_url=e2e_database,
            amqp_url=amqp_url,
            redis_url=redis_url,
            namespace=e2e_namespace,
            core_url=f"http://127.0.0.1:{core_sandbox_server.port}",
            WXHUB_HEARTBEAT_INTERVAL_S="1",
        )
    )
    engine = processes.start("engine", port_setting="engine_port")
    gateway_a = processes.start("gateway", port_setting="gateway_port")
    gateway_b = processes.start("gateway", port_setting="gateway_port")
    await wait_ready(engine, gateway_a, gateway_b)

    pusher = CallbackPusher(DEMO.token, DEMO.appid, DEMO.original_id, DEMO.encoding_aes_key)
    async with httpx.AsyncClient(timeout=10) as client:

        async def post(gateway_url: str, xml: bytes, *, encrypt: bool = False) -> bytes:
            params, body = pusher.sign(xml, encrypt=encrypt)
            response = await client.post(f"{gateway_url}/wechat/demo", params=params, content=body)
            assert response.status_code == 200, response.text
            return pusher.open_reply(response.content) if encrypt else response.content

        # Sequential retry: the first attempt answers, the retry on the other replica repeats it.
        xml = pusher.text("oReplica", "基金 000001", msg_id=next(_ids))
        first = parse_xml(await post(gateway_a.url, xml))
        retry = parse_xml(await post(gateway_b.url, xml, encrypt=True))
        assert "单位净值" in first["Content"]
        assert retry["Content"] == first["Content"]

        # Concurrent deliveries of one message on both replicas: one answer, handled once.
        xml2 = pusher.text("oReplica", "黄金", msg_id=next(_ids))
        replies = await asyncio.gather(
            post(gateway_a.url, xml2), post(gateway_b.url, xml2), post(gateway_a.url, xml2)
        )
        contents = {parse_xml(r)["Content"] for r in replies}
        assert len(contents) == 1
        assert "黄金行情" in contents.pop()

        metrics = (await client.get(f"{engine.url}/metrics")).text
        assert handled_count(metrics, "fund_nav") == 1
        assert handled_count(metrics, "gold_price") == 1

        # Every service exposes probes and publishes heartbeats on wx.events (R-OPS-5).
        for service in (engine, gateway_a, gateway_b):
            assert (await client.get(f"{service.url}/healthz")).status_code == 200
        assert await heartbeats_seen(amqp_url, e2e_namespace) >= {"engine", "gateway"}
        gateway_metrics = (await client.get(f"{gateway_b.url}/metrics")).text
        assert re.search(
            r'wxhub_gateway_callbacks_total\{account="demo",outcome="retry_replied"\}',
            gateway_metrics,
        )
