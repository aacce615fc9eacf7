"""Helpers shared by the notification API tests: a seeded database, a gateway on a bus, and a
client that signs its requests like a business system."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from libs.common.bus import Bus
from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade_async
from libs.common.db.models import Account, BusinessSystem, ReminderType
from libs.common.secret_box import SecretBox
from services.gateway.api.auth import signed_headers
from services.gateway.app import GatewayService
from tests.support import Inbox
from wxhub.demo.account import DEMO
from wxhub.demo.outbound import DEMO_SYSTEM, seed_outbound_demo

SECRET_KEY = "test-secret-key"
OTHER_SYSTEM = ("other-core", "other-core-secret-not-real")

BALANCE_DATA = {
    "account_tail": "8899",
    "time": "2026-11-26 09:30",
    "amount": "-1,200.00",
    "balance": "35,800.00",
}


async def seed_database(url: str) -> None:
    """Migrate ``url`` and load the demo data, a second system and a no-fallback type."""
    await upgrade_async(url)
    engine = make_engine(url)
    box = SecretBox(SECRET_KEY)
    try:
        async with make_sessionmaker(engine).begin() as session:
            await seed_outbound_demo(session, box)
            account = await session.scalar(select(Account).where(Account.code == DEMO.code))
            assert account is not None
            session.add(
                BusinessSystem(
                    code=OTHER_SYSTEM[0], name="other", secret_enc=box.encrypt(OTHER_SYSTEM[1])
                )
            )
            session.add(
                ReminderType(
                    account_id=account.id,
                    event_type="nav_report",
                    name="净值播报",
                    template_id="tpl-nav",
                    template_fields={"thing1": "{fund_name}", "number2": "{nav}"},
                    cs_text="{fund_name} 最新净值 {nav}",
                    sms_text="",
                    fallback_allowed=False,
                    default_fallback="none",
                    default_priority="bulk",
                )
            )
    finally:
        await engine.dispose()


def notification(**overrides: Any) -> dict[str, Any]:
    """A valid balance_change request for demo customer 1."""
    body: dict[str, Any] = {
        "account": DEMO.code,
        "event_type": "balance_change",
        "to": {"customer_no": "C00000001"},
        "data": dict(BALANCE_DATA),
    }
    body.update(overrides)
    return body


@dataclass
class SignedClient:
    """An httpx client that signs every request as one business system."""

    http: httpx.AsyncClient
    system: str = DEMO_SYSTEM.code
    secret: str = DEMO_SYSTEM.secret

    def as_system(self, system: str, secret: str) -> SignedClient:
        """The same connection, signing as another system."""
        return SignedClient(self.http, system, secret)

    async def send(
        self, method: str, url: str, *, timestamp: int | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Build the request, sign its exact body, send it."""
        request = self.http.build_request(method, url, **kwargs)
        body = request.read()
        request.headers.update(signed_headers(self.system, self.secret, body, timestamp=timestamp))
        return await self.http.send(request)

    async def post(self, url: str, payload: Any, **kwargs: Any) -> httpx.Response:
        """POST JSON."""
        return await self.send("POST", url, json=payload, **kwargs)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """GET."""
        return await self.send("GET", url, **kwargs)


async def subscribe(bus: Bus, queue: str) -> Inbox:
    """Consume ``queue`` into a new inbox."""
    inbox = Inbox(settle_s=0.05)
    await bus.consume(queue, inbox)
    return inbox


@dataclass
class ApiStack:
    """A running gateway on a bus, with a signed client."""

    gateway: GatewayService
    bus: Bus
    client: SignedClient
    db_url: str


async def fetch_all(db_url: str, statement: Any) -> list[Any]:
    """Run a SELECT on its own connection (what another process would see)."""
    engine = make_engine(db_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return list((await session.execute(statement)).all())
    finally:
        await engine.dispose()


async def execute(db_url: str, *statements: Any) -> None:
    """Run statements in one committed transaction (e.g. what the dispatcher would write)."""
    engine = make_engine(db_url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            for statement in statements:
                await session.execute(statement)
    finally:
        await engine.dispose()


MakeApi = Callable[..., Awaitable[ApiStack]]
