"""Wiring: ``build(settings, resources)`` returns the gateway as a runnable :class:`Service`."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from libs.common.api_docs import install_docs
from libs.common.observability.health import probe_routes
from libs.common.observability.heartbeat import Heartbeat
from libs.common.resources import Resources
from services.gateway.accounts import CallbackAccounts
from services.gateway.api import install_notification_api
from services.gateway.callback import PATH_PREFIX, CallbackEndpoint
from services.gateway.h5 import install_h5
from services.gateway.settings import GatewaySettings


class GatewayService:
    """WeChat callbacks at ``/wechat/{account}``; business API and probes on the same port."""

    name = "gateway"

    def __init__(self, settings: GatewaySettings, resources: Resources) -> None:
        self.settings = settings
        self.port = settings.gateway_port
        self.ops_port = settings.gateway_ops_port
        self.resources = resources
        self.accounts = CallbackAccounts(
            resources.sessions, resources.secret_box, refresh_s=settings.account_refresh_s
        )
        self.callbacks = CallbackEndpoint(settings, self.accounts, resources.bus, resources.ledger)
        self.api = FastAPI(
            title="wxhub gateway",
            description="WeChat callbacks and the business-system notification API.",
            version="1",
            docs_url=None,
            redoc_url=None,
        )
        install_docs(self.api)
        self.api.router.routes.extend(
            probe_routes(
                self.name,
                {
                    "bus": resources.bus.ping,
                    "ledger": resources.ledger.ping,
                    "accounts": self._accounts_loaded,
                },
            )
        )
        # Business-system notification API: /api/v1/... routers and their error handlers.
        self.notifications = install_notification_api(self.api, settings, resources)
        # Second-level pages (/h5/...): identity binding.
        self.h5 = install_h5(self.api, settings, resources)
        self.heartbeat = Heartbeat(
            resources.bus,
            service=self.name,
            instance_id=settings.instance_id or "gateway",
            interval_s=settings.heartbeat_interval_s,
        )
        self.app: ASGIApp = self._route

    async def _accounts_loaded(self) -> bool:
        return self.accounts.loaded

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        # One prefix test instead of a router keeps the callback path cheap.
        if scope["type"] == "http" and scope["path"].startswith(PATH_PREFIX):
            await self.callbacks(scope, receive, send)
        else:
            await self.api(scope, receive, send)

    async def start(self) -> None:
        """Load accounts and start the heartbeat."""
        await self.accounts.start()
        await self.notifications.start()
        await self.h5.start()
        await self.heartbeat.start()

    async def stop(self) -> None:
        """Stop background work (callbacks held for the bus get a last chance to go out)."""
        await self.callbacks.backlog.stop()
        await self.heartbeat.stop()
        await self.notifications.stop()
        await self.accounts.stop()
        await self.h5.stop()


def build(settings: GatewaySettings, resources: Resources) -> GatewayService:
    """Assemble the gateway on the given connections."""
    return GatewayService(settings, resources)
