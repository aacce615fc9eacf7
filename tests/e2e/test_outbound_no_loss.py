"""No loss (R-PERF-3,7,8): SIGKILL the dispatcher mid-run on RabbitMQ + PostgreSQL, restart it,
and every accepted notification ends in exactly one terminal state with no duplicate send."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade_async
from libs.common.db.models import Notification
from libs.common.secret_box import SecretBox
from sandboxes import sms as sms_sandbox
from sandboxes import wechat_api
from sandboxes.server import serve
from tests.support import (
    balance_notification,
    declared_amqp_bus,
    insert_notifications,
    ring_outbound,
    seed_demo_outbound,
)
from wxhub.processes import free_port, stop_process
from wxhub.scratch_bus import delete_topologies
from wxhub.scratch_db import fresh_postgres

pytestmark = [pytest.mark.e2e, pytest.mark.amqp, pytest.mark.postgres]

COUNT = 3000
SECRET_KEY = "e2e-outbound-secret-key"
TERMINAL = ("delivered", "fallback_sent", "failed")
ROOT = Path(__file__).resolve().parents[2]


async def _spawn(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.dispatcher",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


@pytest.fixture
async def database(postgres_url: str) -> str:
    """A fresh, migrated PostgreSQL database for this test."""
    url = await fresh_postgres(postgres_url, "outbound_e2e")
    await upgrade_async(url)
    return url


async def test_sigkill_mid_run_loses_and_duplicates_nothing(amqp_url: str, database: str) -> None:
    namespace = f"e2e-{uuid.uuid4().hex[:8]}"
    wx = wechat_api.WeChatApiState(call_log_size=4 * COUNT)
    sms = sms_sandbox.SmsState()
    servers = [
        await serve(wechat_api.build_app(wx), "127.0.0.1", 0),
        await serve(sms_sandbox.build_app(sms), "127.0.0.1", 0),
    ]
    # Every tenth recipient has unfollowed: those go to SMS (exercises the fallback path too).
    wx.unsubscribed = {f"o-e2e-{i:05d}" for i in range(0, COUNT, 10)}
    wx.faults.add({"path": "/cgi-bin/message/template/send", "latency_ms": 5})
    engine = make_engine(database)
    sessions = make_sessionmaker(engine)
    account_id = await seed_demo_outbound(sessions, SecretBox(SECRET_KEY))
    bus = await declared_amqp_bus(amqp_url, namespace)
    env = {
        **os.environ,
        "WXHUB_DATABASE_URL": database,
        "WXHUB_AMQP_URL": amqp_url,
        "WXHUB_BUS_NAMESPACE": namespace,
        "WXHUB_SECRET_KEY": SECRET_KEY,
        "WXHUB_WECHAT_API_BASE": servers[0].url,
        "WXHUB_SMS_URL": f"{servers[1].url}/send",
        "WXHUB_DISPATCHER_PORT": str(free_port()),
        "WXHUB_LOG_LEVEL": "WARNING",
    }
    process = await _spawn(env)
    try:
        now = datetime.now(UTC)
        ids = [uuid.uuid4().hex for _ in range(COUNT)]
        box = SecretBox(SECRET_KEY)
        await insert_notifications(
            sessions,
            [
                balance_notification(
                    nid,
                    account_id=account_id,
                    now=now,
                    # Far enough that a busy machine never turns a test into expiries.
                    deadline_at=now + timedelta(minutes=10),
                    openid=f"o-e2e-{i:05d}",
                    phone=f"138{i:08d}",
                    box=box,
                    data={"account_tail": "1234", "time": "t", "amount": "1", "balance": "2"},
                    priority="alert" if i % 2 else "bulk",
                )
                for i, nid in enumerate(ids)
            ],
        )

        async def publish(i: int, nid: str) -> None:
            await ring_outbound(bus, nid, priority="alert" if i % 2 else "bulk")

        for start in range(0, COUNT, 200):
            await asyncio.gather(
                *(publish(start + i, nid) for i, nid in enumerate(ids[start : start + 200]))
            )

        async def terminal() -> int:
            async with sessions() as session:
                return int(
                    await session.scalar(
                        select(func.count()).where(Notification.status.in_(TERMINAL))
                    )
                    or 0
                )

        loop = asyncio.get_running_loop()
        give_up = loop.time() + 30
        while await terminal() < COUNT // 3:
            assert loop.time() < give_up, "dispatcher made no progress"
            await asyncio.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        killed_at = await terminal()
        assert killed_at < COUNT, "killed too late to prove anything"
        process = await _spawn(env)
        # Give up when progress stops, not after a fixed time: a busy machine is just slower.
        done, progressed_at = await terminal(), loop.time()
        while done < COUNT:
            assert loop.time() - progressed_at < 30, f"stuck at {done} of {COUNT} terminal"
            await asyncio.sleep(0.1)
            now_done = await terminal()
            if now_done > done:
                done, progressed_at = now_done, loop.time()

        async with sessions() as session:
            rows = (
                await session.execute(
                    select(
                        Notification.id,
                        Notification.status,
                        Notification.channel,
                        Notification.attempts,
                    )
                )
            ).all()
        statuses = Counter(row.status for row in rows)
        assert len(rows) == COUNT
        # The kill hit deliveries in flight (claimed in a batch, not finished): they were
        # resumed by the restarted dispatcher, and still sent once (checked below).
        assert any(row.attempts > 1 for row in rows)
        assert set(ids) == {row.id for row in rows}
        assert statuses["failed"] == 0, statuses
        unfollowed = len(wx.unsubscribed)
        assert statuses["fallback_sent"] == unfollowed
        assert statuses["delivered"] == COUNT - unfollowed
        # Nobody got the same message twice on the same channel.
        per_key = Counter((d.touser, d.body.get("client_msg_id")) for d in wx.deliveries)
        assert per_key
        assert max(per_key.values()) == 1
        assert len(per_key) == COUNT - unfollowed
        assert sms.delivered == unfollowed
        # And never both: no SMS recipient also got a WeChat message.
        sms_ids = set(sms.messages)
        wechat_ids = {d.body.get("client_msg_id") for d in wx.deliveries}
        assert not sms_ids & wechat_ids
    finally:
        await stop_process(process, 10)
        await delete_topologies(bus)
        await bus.close()
        await engine.dispose()
        for server in servers:
            await server.stop()
