"""The engine with its database away (PostgreSQL restarting): an inbound message is put back and
tried again, never dead-lettered — a dead letter would leave the follower without an answer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from libs.common.bus import (
    DEAD,
    ENGINE_INBOUND,
    INBOUND,
    Delivery,
    MemoryBus,
    default_topology,
    typed_handler,
)
from libs.common.callback_ledger import MemoryCallbackLedger
from libs.common.resources import open_resources
from libs.common.schemas.inbound import InboundReceived
from libs.common.settings import CommonSettings
from libs.common.wechat import parse_xml
from sandboxes.wechat_push import CallbackPusher
from services.engine.app import EngineService
from services.engine.settings import EngineSettings
from tests.polling import eventually
from wxhub.demo.account import DEMO
from wxhub.processes import free_port


async def test_inbound_message_is_retried_while_the_database_is_away() -> None:
    # Nothing listens on this port: every database call fails to connect.
    away = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/wxhub"
    bus = MemoryBus()
    await bus.declare(default_topology())
    ledger = MemoryCallbackLedger(300)
    secret = "engine-db-away-secret-key-for-tests"
    resources = await open_resources(
        CommonSettings(database_url=away, secret_key=secret), bus=bus, ledger=ledger
    )
    engine = EngineService(EngineSettings(database_url=away, secret_key=secret), resources)
    attempts: list[bool] = []
    dead: list[bytes] = []
    handle = typed_handler(InboundReceived, engine.handler)

    async def counting(delivery: Delivery) -> None:
        attempts.append(delivery.message.redelivered)
        await handle(delivery)

    async def collect_dead(delivery: Delivery) -> None:
        dead.append(delivery.message.body)
        await delivery.ack()

    await bus.consume(DEAD, collect_dead)
    await bus.consume(ENGINE_INBOUND, counting)
    pusher = CallbackPusher(DEMO.token, DEMO.appid, DEMO.original_id)
    fields = parse_xml(pusher.text("oDbAway", "帮助", msg_id=6_500_000_000_000_000_001))
    key = f"{DEMO.code}:oDbAway:6500000000000000001"
    await ledger.claim(key)
    request = InboundReceived(
        account=DEMO.code,
        kind="text",
        dedup_key=key,
        fields=fields,
        encrypted=False,
        reply_by=datetime.now(UTC) + timedelta(seconds=4),
    )
    try:
        await bus.publish(INBOUND, f"{DEMO.code}.text", request.to_bytes(), message_id="m-db-away")
        # Tried, put back, tried again (a redelivery) and again: never dead-lettered.
        await eventually(lambda: len(attempts) >= 3, timeout=10.0, what="three attempts")
        assert attempts[0] is False
        assert all(attempts[1:])
        await asyncio.sleep(0.2)
        assert dead == []
    finally:
        await bus.close()
        await resources.db_engine.dispose()
