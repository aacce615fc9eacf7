"""Accepting notifications for a run: through the business API's batch call, or directly."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.bus import OUTBOUND, AmqpBus
from libs.common.db.models import Notification
from libs.common.schemas.outbound import OutboundRequested
from libs.common.secret_box import SecretBox
from services.gateway.api.auth import signed_headers
from wxhub.demo.account import DEMO
from wxhub.demo.outbound import DEMO_SYSTEM

# The key the services run with: the direct path encrypts phones as the gateway would.
SECRET_KEY = "bench-outbound-secret-key"
DATA = {"account_tail": "1234", "time": "10:00", "amount": "100.00", "balance": "900.00"}
Sessions = async_sessionmaker[AsyncSession]


class Submitter:
    """Accepts notifications either through the gateway API or directly (row + publish)."""

    def __init__(
        self,
        *,
        api: httpx.AsyncClient | None,
        bus: AmqpBus,
        sessions: Sessions,
        account_id: int,
    ) -> None:
        self.api = api
        self.bus = bus
        self.sessions = sessions
        self.account_id = account_id

    async def submit(self, run: str, start: int, n: int) -> list[str]:
        """Accept ``n`` notifications; returns their ids."""
        if self.api is not None:
            return await self._via_api(run, start, n)
        return await self._direct(n)

    async def _via_api(self, run: str, start: int, n: int) -> list[str]:
        items = [
            {
                "account": DEMO.code,
                "event_type": "balance_change",
                "to": {"openid": f"o-bench-{run}-{start + i:06d}", "phone": "13800000001"},
                "data": DATA,
                "priority": "alert",
                "idempotency_key": f"bench-{run}-{start + i}",
                "fallback": "sms",
            }
            for i in range(n)
        ]
        body = json.dumps({"items": items}).encode()
        assert self.api is not None
        response = await self.api.post(
            "/api/v1/notifications:batch",
            content=body,
            headers={
                "Content-Type": "application/json",
                **signed_headers(DEMO_SYSTEM.code, DEMO_SYSTEM.secret, body),
            },
        )
        response.raise_for_status()
        answer = response.json()
        if answer["accepted"] != n:
            raise RuntimeError(f"gateway accepted {answer['accepted']} of {n}: {answer}")
        return [item["id"] for item in answer["results"]]

    async def _direct(self, n: int) -> list[str]:
        now = datetime.now(UTC)
        ids = [uuid.uuid4().hex for _ in range(n)]
        phone_enc = SecretBox(SECRET_KEY).encrypt("13800000001")
        async with self.sessions.begin() as session:
            await session.execute(
                insert(Notification),
                [
                    {
                        "id": nid,
                        "account_id": self.account_id,
                        "event_type": "balance_change",
                        "priority": "alert",
                        "openid": f"o-bench-{nid[:12]}",
                        "phone_enc": phone_enc,
                        "data": DATA,
                        "fallback": "sms",
                        "deadline_at": now + timedelta(seconds=30),
                        "created_at": now,
                        "updated_at": now,
                    }
                    for nid in ids
                ],
            )

        async def publish(nid: str) -> None:
            request = OutboundRequested(
                message_id=nid, account=DEMO.code, priority="alert", notification_id=nid
            )
            await self.bus.publish(OUTBOUND, "alert.wechat", request.to_bytes(), message_id=nid)

        await asyncio.gather(*(publish(nid) for nid in ids))
        return ids
