"""``wxhub cluster``: two replicas of every service behind HAProxy on RabbitMQ, PostgreSQL and
Redis. Through the balancer a signed callback is answered and a business notification delivered;
a material uploaded to one admin API replica is served by the other; with one gateway replica
killed -9, callbacks are still answered; then everything stops cleanly.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from libs.common.wechat import parse_xml
from sandboxes.wechat_push import CallbackPusher
from tests.e2e.support import run_on_server
from wxhub.cluster import Cluster, ClusterOptions
from wxhub.demo.account import DEMO
from wxhub.demo.admin import USERS
from wxhub.demo.outbound import CUSTOMERS
from wxhub.smoke import demo_notification, demo_signed

pytestmark = [pytest.mark.e2e, pytest.mark.amqp, pytest.mark.postgres, pytest.mark.redis]

_ids = itertools.count(7_300_000_000_000_000_000)
PUSHER = CallbackPusher(DEMO.token, DEMO.appid, DEMO.original_id, DEMO.encoding_aes_key)


@pytest.fixture
async def cluster(
    haproxy: str,
    postgres_url: str,
    amqp_url: str,
    redis_url: str,
    e2e_namespace: str,
    tmp_path: Path,
) -> AsyncIterator[Cluster]:
    """A started cluster on free ports with a database of its own, dropped afterwards."""
    database = f"wxhub_cluster_{uuid.uuid4().hex[:8]}"
    options = ClusterOptions(
        database_url=postgres_url.rsplit("/", 1)[0] + f"/{database}",
        amqp_url=amqp_url,
        redis_url=redis_url,
        bus_namespace=e2e_namespace,
        workdir=tmp_path,
        ready_timeout_s=60,
    )
    running = Cluster(options)
    try:
        await asyncio.to_thread(running.start)
        yield running
    finally:
        await asyncio.to_thread(running.stop)
        await run_on_server(postgres_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


async def answer(client: httpx.AsyncClient, cluster: Cluster, text: str) -> dict[str, Any]:
    """One signed text callback through the balancer; the parsed passive reply."""
    params, body = PUSHER.sign(PUSHER.text("oCluster", text, msg_id=next(_ids)))
    url = f"{cluster.url('gateway')}/wechat/{DEMO.code}"
    response = await client.post(url, params=params, content=body)
    assert response.status_code == 200, response.text
    return parse_xml(response.content)


async def test_cluster_answers_and_delivers_through_the_balancer_and_survives_a_kill(
    cluster: Cluster,
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        reply = await answer(client, cluster, "基金 000001")
        assert "000001" in reply["Content"]

        openid = CUSTOMERS[0][0]
        body, headers = demo_notification(f"cluster-{uuid.uuid4().hex}")
        base = f"{cluster.url('gateway')}/api/v1/notifications"
        accepted = await client.post(base, content=body, headers=headers)
        assert accepted.status_code == 202, accepted.text
        notification_id = accepted.json()["id"]
        status: dict[str, Any] = {}
        for _ in range(150):
            status = (
                await client.get(f"{base}/{notification_id}", headers=demo_signed(b""))
            ).json()
            if status.get("status") == "delivered":
                break
            await asyncio.sleep(0.1)
        assert status.get("status") == "delivered", status
        calls = (
            await client.get(
                f"{cluster.sandbox_url('wechat_sandbox_port')}/__sandbox__/calls",
                params={"path": "/cgi-bin/message/template/send"},
            )
        ).json()["calls"]
        sent = [c for c in calls if c["body"].get("client_msg_id") == notification_id]
        assert [c["body"]["touser"] for c in sent] == [openid]

        # A material uploaded to one admin API replica is served by the other (no local disk).
        first, second = (replica.url for replica in cluster.replicas["admin_api"])
        username, _, _, _, password = USERS[0]
        login = await client.post(
            f"{first}/api/v1/auth/login", data={"username": username, "password": password}
        )
        assert login.status_code == 200, login.text
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        image = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 1200  # two storage chunks
        uploaded = await client.post(
            f"{first}/api/v1/materials/upload",
            params={"kind": "image", "filename": "cluster.png"},
            content=image,
            headers={**auth, "Content-Type": "application/octet-stream"},
        )
        assert uploaded.status_code == 201, uploaded.text
        material_id = uploaded.json()["id"]
        served = await client.get(f"{second}/api/v1/materials/{material_id}/file", headers=auth)
        assert served.status_code == 200, served.text
        assert served.content == image

        # kill -9 one gateway: no drain, no goodbye; the balancer's next connection to it fails.
        victim, survivor = cluster.replicas["gateway"]
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait(timeout=5)
        replies = [await answer(client, cluster, "黄金") for _ in range(12)]
        assert all("黄金" in r["Content"] for r in replies)
        assert survivor.process.poll() is None

    statuses = await asyncio.to_thread(cluster.stop)
    killed = f"gateway:{victim.port}"
    assert statuses.pop(killed) == -signal.SIGKILL
    assert set(statuses.values()) <= {0}, statuses
