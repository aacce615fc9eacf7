"""Test helpers for the inbound path: the gateway and engine stack and its settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from libs.common.bus import MemoryBus
from libs.common.callback_ledger import CallbackLedger
from libs.common.resources import Resources
from libs.common.wechat import parse_xml
from sandboxes.wechat_push import CallbackPusher
from services.engine.app import EngineService
from services.gateway.app import GatewayService
from wxhub.demo.account import DEMO

SECRET_KEY = "test-secret-key"


@dataclass
class InboundStack:
    """A running gateway + engine and a client that speaks WeChat's side of the protocol."""

    gateway: GatewayService
    engine: EngineService
    resources: Resources
    bus: MemoryBus
    ledger: CallbackLedger
    client: httpx.AsyncClient
    pusher: CallbackPusher

    async def post(
        self, xml: bytes, *, encrypt: bool = False, account: str = DEMO.code, **sign: Any
    ) -> httpx.Response:
        """POST a callback signed (and optionally encrypted) like WeChat does."""
        params, body = self.pusher.sign(xml, encrypt=encrypt, **sign)
        return await self.client.post(f"/wechat/{account}", params=params, content=body)

    def reply_fields(self, response: httpx.Response, *, encrypted: bool = False) -> dict[str, Any]:
        """The passive reply's XML fields (decrypted first when encrypted)."""
        assert response.status_code == 200, response.text
        body = self.pusher.open_reply(response.content) if encrypted else response.content
        return parse_xml(body)


def stack_settings(db_url: str, core_url: str, **overrides: Any) -> dict[str, Any]:
    """Settings shared by the gateway and engine under test."""
    return {
        "database_url": db_url,
        "core_url": core_url,
        "secret_key": SECRET_KEY,
        "heartbeat_interval_s": 3600,
        **overrides,
    }
