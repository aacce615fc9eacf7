"""Delivery reports on RabbitMQ and PostgreSQL: a report that overtakes the send's commit is
put back on its quorum queue until the row names its msgid — never dead-lettered meanwhile."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from libs.common.bus import EVENTS
from libs.common.db.migrate import upgrade_async
from libs.common.db.models import Notification
from libs.common.schemas.events import WeChatJobFinished
from sandboxes import sms as sms_sandbox
from sandboxes import wechat_api
from sandboxes.server import serve
from tests.polling import eventually
from tests.services.dispatcher.support import OPENID, Sandboxes, start_harness, stop_harness
from wxhub.demo.account import DEMO
from wxhub.scratch_bus import delete_namespace
from wxhub.scratch_db import fresh_postgres

pytestmark = [pytest.mark.amqp, pytest.mark.postgres]


@pytest.fixture
async def namespace(amqp_url: str) -> AsyncIterator[str]:
    name = f"reports{uuid.uuid4().hex[:8]}"
    yield name
    await delete_namespace(amqp_url, name, "test.delivery")


async def test_an_early_report_waits_on_the_queue_for_the_send_record(
    amqp_url: str, postgres_url: str, namespace: str
) -> None:
    database = await fresh_postgres(postgres_url, "reports")
    await upgrade_async(database)
    wx, sms = wechat_api.WeChatApiState(), sms_sandbox.SmsState()
    servers = [
        await serve(wechat_api.build_app(wx), "127.0.0.1", 0),
        await serve(sms_sandbox.build_app(sms), "127.0.0.1", 0),
    ]
    harness = await start_harness(
        database,
        Sandboxes(wx, sms, servers),
        amqp_url=amqp_url,
        bus_namespace=namespace,
        report_retry_s=0.1,
    )
    try:
        nid = await harness.notify(publish=False)
        report = WeChatJobFinished(
            account=DEMO.code, openid=OPENID, kind="template", msgid="880001", status="success"
        )
        await harness.resources.bus.publish(
            EVENTS, "wechat.job_finished", report.to_bytes(), message_id=report.message_id
        )
        # Long enough for several redeliveries of the unmatched report.
        await asyncio.sleep(2.0)
        async with harness.resources.sessions.begin() as session:
            row = await session.get(Notification, nid)
            assert row is not None
            row.status, row.wechat_msgid = "delivered", "880001"
            row.finished_at = datetime.now(UTC)

        async def confirmed() -> bool:
            rows = await harness.statuses([nid])
            return rows[nid].status == "confirmed"

        # A dead-lettered report would never get here.
        await eventually(confirmed, what="confirmed", timeout=60)
    finally:
        await stop_harness(harness)
        for server in servers:
            await server.stop()
