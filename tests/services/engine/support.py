"""Test helpers for customer service on the inbound stack: configuration, agents, bus taps."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select

from libs.common.bus import Bus, Delivery, Subscription
from libs.common.db.models import Account, AdminUser, CsAgent, CsConfig, CsSession, Org
from libs.common.schemas.outbound import OutboundRequested
from tests.services.support import InboundStack
from wxhub.demo.account import DEMO

_msg_ids = itertools.count(8_100_000_000_000_000_000)


async def demo_account_id(stack: InboundStack) -> int:
    """The demo account's id."""
    async with stack.resources.sessions() as session:
        account_id = await session.scalar(select(Account.id).where(Account.code == DEMO.code))
    assert account_id is not None
    return account_id


async def configure_cs(stack: InboundStack, **fields: Any) -> None:
    """Give the demo account a customer-service configuration (open around the clock unless
    ``hours``/``holidays`` say otherwise)."""
    account_id = await demo_account_id(stack)
    async with stack.resources.sessions.begin() as session:
        session.add(CsConfig(account_id=account_id, **fields))
    stack.engine.configs.invalidate()


async def add_agent(
    stack: InboundStack,
    username: str,
    *,
    cap: int = 10,
    status: str = "online",
    groups: list[str] | None = None,
) -> int:
    """An admin user with a seat; returns the user id."""
    async with stack.resources.sessions.begin() as session:
        org = await session.scalar(select(Org).where(Org.code == "cs-test"))
        if org is None:
            org = Org(code="cs-test", name="客服中心")
            session.add(org)
            await session.flush()
        user = AdminUser(
            username=username, display_name=f"{username}号", password_hash="x", org_id=org.id
        )
        session.add(user)
        await session.flush()
        session.add(CsAgent(user_id=user.id, status=status, cap=cap, groups=groups or ["default"]))
        return user.id


async def sessions_of(stack: InboundStack) -> list[CsSession]:
    """Every customer-service session, oldest first."""
    async with stack.resources.sessions() as session:
        return list(await session.scalars(select(CsSession).order_by(CsSession.id)))


async def say(stack: InboundStack, openid: str, text: str) -> httpx.Response:
    """The follower sends ``text``; the raw callback answer."""
    response = await stack.post(stack.pusher.text(openid, text, msg_id=next(_msg_ids)))
    assert response.status_code == 200, response.text
    return response


async def say_text(stack: InboundStack, openid: str, text: str) -> str:
    """The follower sends ``text``; the passive reply's text (``""`` for ``success``)."""
    response = await say(stack, openid, text)
    if response.content == b"success":
        return ""
    return str(stack.reply_fields(response)["Content"])


@dataclass
class Tap:
    """Everything that arrives on one queue, kept in order (consumed and acked)."""

    bodies: list[tuple[str, bytes]] = field(default_factory=list)
    subscription: Subscription | None = None

    def outbound(self) -> list[OutboundRequested]:
        """The messages as outbound requests."""
        return [OutboundRequested.from_bytes(body) for _, body in self.bodies]

    def texts_to(self, openid: str) -> list[str]:
        """Texts of the customer-service messages sent to ``openid``."""
        return [
            str((m.custom_message or {}).get("text", {}).get("content", ""))
            for m in self.outbound()
            if m.openid == openid
        ]

    def events(self, routing_key: str) -> list[dict[str, Any]]:
        """Bodies of the events published under ``routing_key``."""
        import json

        return [json.loads(body) for key, body in self.bodies if key == routing_key]


async def tap(bus: Bus, queue: str) -> Tap:
    """Start collecting ``queue``."""
    collected = Tap()

    async def handler(delivery: Delivery) -> None:
        collected.bodies.append((delivery.message.routing_key, delivery.message.body))
        await delivery.ack()

    collected.subscription = await bus.consume(queue, handler)
    return collected
