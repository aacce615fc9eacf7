"""Test helpers for the dispatcher: sandboxes, a running dispatcher harness and a fresh
PostgreSQL database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from libs.common.bus import EVENTS, OUTBOUND, Delivery, Queue, Topology
from libs.common.db.models import Account, Notification, ServiceWindow
from libs.common.resources import Resources, open_resources
from libs.common.schemas.events import DeliveryStatusChanged, DeliveryStatusChangedBatch
from libs.common.schemas.outbound import OutboundRequested
from sandboxes import sms as sms_sandbox
from sandboxes import wechat_api
from sandboxes.server import RunningServer
from services.dispatcher.app import DispatcherService, build
from services.dispatcher.settings import DispatcherSettings
from wxhub.demo.account import DEMO
from wxhub.demo.outbound import seed_outbound_demo

TERMINAL = {"delivered", "fallback_sent", "suppressed", "failed"}


OPENID = "oWxhubDemoCustomer0000000001"


PHONE = "13800000001"


BALANCE = {"account_tail": "1234", "time": "10:00", "amount": "100.00", "balance": "900.00"}


@dataclass
class Sandboxes:
    """The running WeChat API and SMS sandboxes."""

    wx: wechat_api.WeChatApiState
    sms: sms_sandbox.SmsState
    servers: list[RunningServer]

    @property
    def wechat_url(self) -> str:
        return self.servers[0].url

    @property
    def sms_url(self) -> str:
        return f"{self.servers[1].url}/send"


@dataclass
class Harness:
    """A dispatcher on the memory bus with helpers around it."""

    settings: DispatcherSettings
    resources: Resources
    service: DispatcherService
    boxes: Sandboxes
    account_id: int
    events: list[DeliveryStatusChanged] = field(default_factory=list)
    # False when the connections are shared with other services under test (they close them).
    owns_resources: bool = True

    async def notify(
        self,
        *,
        openid: str | None = OPENID,
        phone: str | None = PHONE,
        customer_no: str | None = None,
        event_type: str = "balance_change",
        data: dict[str, Any] | None = None,
        priority: str = "alert",
        fallback: str = "sms",
        deadline_s: float = 30.0,
        publish: bool = True,
    ) -> str:
        """Insert an accepted notification (as the gateway does) and publish it."""
        nid = uuid.uuid4().hex
        now = datetime.now(UTC)
        box = self.resources.secret_box
        async with self.resources.sessions.begin() as session:
            session.add(
                Notification(
                    id=nid,
                    account_id=self.account_id,
                    event_type=event_type,
                    priority=priority,
                    openid=openid,
                    phone_enc=box.encrypt(phone) if phone else None,
                    customer_no_enc=box.encrypt(customer_no) if customer_no else None,
                    data=data if data is not None else BALANCE,
                    fallback=fallback,
                    deadline_at=now + timedelta(seconds=deadline_s),
                    created_at=now,
                )
            )
        if publish:
            await self.publish(nid, priority=priority)
        return nid

    async def publish(
        self, nid: str, *, priority: str = "alert", redelivered: bool = False
    ) -> None:
        """Publish the OutboundRequested of notification ``nid``."""
        request = OutboundRequested(
            message_id=nid, account=DEMO.code, priority=priority, notification_id=nid
        )
        await self.resources.bus.publish(
            OUTBOUND, f"{priority}.wechat", request.to_bytes(), message_id=nid
        )

    async def statuses(self, ids: Iterable[str]) -> dict[str, Notification]:
        """The notification rows by id."""
        async with self.resources.sessions() as session:
            rows = await session.scalars(select(Notification).where(Notification.id.in_(list(ids))))
            return {row.id: row for row in rows}

    async def windows(self) -> dict[str, ServiceWindow]:
        """The open service windows by openid."""
        async with self.resources.sessions() as session:
            return {w.openid: w for w in await session.scalars(select(ServiceWindow))}

    async def wait_terminal(self, ids: list[str], timeout: float = 30.0) -> dict[str, Notification]:
        """Wait until every notification is terminal; returns the rows."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            rows = await self.statuses(ids)
            if len(rows) == len(ids) and all(r.status in TERMINAL for r in rows.values()):
                return rows
            if loop.time() > deadline:
                pending = {i: r.status for i, r in rows.items() if r.status not in TERMINAL}
                raise AssertionError(f"not terminal after {timeout}s: {pending}")
            await asyncio.sleep(0.02)


async def start_harness(
    database_url: str, boxes: Sandboxes, *, resources: Resources | None = None, **overrides: Any
) -> Harness:
    """Seed the demo data, start a dispatcher on a memory bus (or on ``resources``, shared with
    other services), capture delivery events."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "wechat_api_base": boxes.wechat_url,
        "sms_url": boxes.sms_url,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.05,
        "throttle_backoff_s": 0.05,
        "heartbeat_interval_s": 3600,
        "events_interval_s": 0.02,
        "amqp_url": None,
    }
    values.update(overrides)
    settings = DispatcherSettings(**values)
    owned = resources is None
    if resources is None:
        resources = await open_resources(settings)
    async with resources.sessions.begin() as session:
        await seed_outbound_demo(session, resources.secret_box)
        account = await session.scalar(select(Account).where(Account.code == DEMO.code))
        assert account is not None
        account_id = account.id
    service = build(settings, resources)
    harness = Harness(settings, resources, service, boxes, account_id, owns_resources=owned)
    await resources.bus.declare(Topology(queues=[Queue("test.delivery", [(EVENTS, "delivery.*")])]))

    async def capture(delivery: Delivery) -> None:
        # The dispatcher publishes status changes in batches, one status per batch.
        batch = DeliveryStatusChangedBatch.from_bytes(delivery.message.body)
        assert delivery.message.routing_key == f"delivery.{batch.items[0].status}"
        harness.events.extend(batch.items)

    await resources.bus.consume("test.delivery", capture)
    await service.start()
    return harness


async def stop_harness(harness: Harness) -> None:
    """Stop the dispatcher and close its connections."""
    await harness.service.stop()
    if harness.owns_resources:
        await harness.resources.close()
