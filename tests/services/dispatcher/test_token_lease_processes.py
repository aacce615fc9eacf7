"""Shared access tokens across real dispatcher processes (R-OUT-5): two ``python -m
services.dispatcher`` on one PostgreSQL database and one RabbitMQ queue fetch one token per
expiry period between them, not one per process."""

from __future__ import annotations

import asyncio
import math
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade_async
from libs.common.db.models import Notification
from libs.common.secret_box import SecretBox
from sandboxes import wechat_api
from sandboxes.server import serve
from tests.services.dispatcher.support import BALANCE
from tests.support import (
    balance_notification,
    declared_amqp_bus,
    insert_notifications,
    ring_outbound,
    seed_demo_outbound,
)
from wxhub.demo.account import DEMO
from wxhub.processes import ProcessGroup, ServiceProcess
from wxhub.scratch_bus import delete_topologies
from wxhub.scratch_db import fresh_postgres

pytestmark = [pytest.mark.amqp, pytest.mark.postgres]

SECRET_KEY = "lease-processes-secret-key"
LIFETIME_S = 6.0
MARGIN_S = 2.0
RUN_S = 13.0
_SENT = re.compile(
    r'wxhub_dispatcher_sends_total\{account="demo",channel="wechat_template",'
    r'outcome="sent"\} (\S+)'
)


async def _sent_by(process: ServiceProcess) -> float:
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{process.url}/metrics")).text
    match = _SENT.search(text)
    return float(match.group(1)) if match else 0.0


async def test_two_dispatcher_processes_fetch_one_token_per_expiry_period(
    amqp_url: str, postgres_url: str, tmp_path: Path
) -> None:
    database = await fresh_postgres(postgres_url, "lease_processes")
    await upgrade_async(database)
    engine = make_engine(database)
    sessions = make_sessionmaker(engine)
    account_id = await seed_demo_outbound(sessions, SecretBox(SECRET_KEY))
    # Tokens live 6 s; stable_token rotates in the last 2 s, which is when the replicas refresh.
    state = wechat_api.WeChatApiState(token_lifetime_s=LIFETIME_S, stable_rotate_s=MARGIN_S)
    server = await serve(wechat_api.build_app(state), "127.0.0.1", 0)
    namespace = f"lease-{uuid.uuid4().hex[:8]}"
    bus = await declared_amqp_bus(amqp_url, namespace)
    group = ProcessGroup(
        env={
            "WXHUB_DATABASE_URL": database,
            "WXHUB_AMQP_URL": amqp_url,
            "WXHUB_BUS_NAMESPACE": namespace,
            "WXHUB_SECRET_KEY": SECRET_KEY,
            "WXHUB_WECHAT_API_BASE": server.url,
            "WXHUB_TOKEN_REFRESH_MARGIN_S": str(MARGIN_S),
            "WXHUB_LOG_LEVEL": "WARNING",
        },
        log_dir=tmp_path,
    )
    try:
        replicas = [group.start("dispatcher", port_setting="dispatcher_port") for _ in range(2)]
        for replica in replicas:
            await asyncio.to_thread(replica.wait_ready, 60.0)
        ids: list[str] = []
        first_send = None
        stop = time.monotonic() + RUN_S
        while time.monotonic() < stop:
            # 20 notifications every 0.1 s: both replicas always have sends needing a token.
            now = datetime.now(UTC)
            chunk = [uuid.uuid4().hex for _ in range(20)]
            await insert_notifications(
                sessions,
                [
                    balance_notification(
                        nid,
                        account_id=account_id,
                        now=now,
                        deadline_at=now + timedelta(seconds=60),
                        openid=f"o-lease-{nid[:10]}",
                        phone="13800000001",
                        box=SecretBox(SECRET_KEY),
                        data=BALANCE,
                        fallback="none",
                    )
                    for nid in chunk
                ],
            )
            for nid in chunk:
                await ring_outbound(bus, nid, priority="alert")
            ids.extend(chunk)
            if first_send is None and state.calls.find("/cgi-bin/message/template/send"):
                first_send = time.monotonic()
            await asyncio.sleep(0.1)
        window_s = time.monotonic() - (first_send or stop - RUN_S)

        give_up = time.monotonic() + 60
        while True:
            async with sessions() as session:
                delivered = await session.scalar(
                    select(func.count()).where(Notification.status == "delivered")
                )
            if delivered == len(ids) or time.monotonic() > give_up:
                break
            await asyncio.sleep(0.2)
        assert delivered == len(ids)

        # Both processes really sent (and so both needed tokens all along).
        sent = [await _sent_by(replica) for replica in replicas]
        assert all(n > 0 for n in sent), sent
        assert sum(sent) == len(ids)
        # One issuance at start, then one per period (lifetime − margin = 4 s). The bound is
        # per period, not per process: two processes refreshing on their own would double it;
        # one extra is allowed for a refresh falling just inside the window's end. Sends went on
        # past the first token's life, so at least one refresh happened; a stalled machine may
        # leave a gap no token had to cover, so fewer than one per period is no error.
        periods = window_s / (LIFETIME_S - MARGIN_S)
        issued = state.tokens_issued[DEMO.appid, "stable"]
        assert 2 <= issued <= 1 + math.ceil(periods) + 1, (
            issued,
            periods,
        )
        calls = len(state.calls.find("/cgi-bin/stable_token"))
        assert calls <= issued + 2, (calls, issued)
        assert state.tokens_issued[DEMO.appid, "classic"] == 0
    finally:
        await asyncio.to_thread(group.stop_all)
        await delete_topologies(bus)
        await bus.close()
        await engine.dispose()
        await server.stop()
