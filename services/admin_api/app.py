"""Wiring: ``build(settings, resources)`` returns the admin API as a runnable :class:`Service`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from libs.common.answer_names import known_answers
from libs.common.api_docs import install_docs
from libs.common.http_errors import error_responses
from libs.common.observability.health import probe_routes
from libs.common.observability.heartbeat import Heartbeat
from libs.common.observability.logging import get_logger
from libs.common.periodic import Periodic
from libs.common.resources import Resources
from services.admin_api.api import console_socket, errors
from services.admin_api.api.examples import install_examples
from services.admin_api.api.routes import ROUTERS
from services.admin_api.follower_sync import fail_interrupted
from services.admin_api.push import ConsoleHub
from services.admin_api.security import TokenCodec
from services.admin_api.settings import AdminSettings
from services.admin_api.spa import DEFAULT_DIST, resolve_dist, spa_fallback, spa_routes
from services.admin_api.state import AdminState

log = get_logger(__name__)

DESCRIPTION = """wxhub 运营管理接口 · wxhub operations admin API.

认证：`POST /api/v1/auth/login`（OAuth2 密码模式）获取 Bearer 令牌。
Authentication: OAuth2 password flow at `POST /api/v1/auth/login`, then `Authorization: Bearer`.

列表约定 · list convention: `page`, `page_size` (≤ 200), `sort=-field,field`, `q` (search),
plus per-field filters; answers `{"items", "total", "page", "page_size"}`.

错误 · errors: JSON `{"code", "message", "errors": [{"loc", "message", "type"}]}`, the same in every
wxhub service; `message` follows `Accept-Language` (zh-CN by default, en).
"""


def create_app(state: AdminState, *, spa_dir: Path = DEFAULT_DIST) -> FastAPI:
    """The FastAPI app over ``state`` (tests build it directly), serving the built admin app
    from ``spa_dir`` at ``/``."""
    app = FastAPI(
        title="wxhub admin API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        # Every route can answer these; each is documented with the common error body.
        responses=error_responses(401, 403, 404, 409, 422),
    )
    install_examples(app)
    install_docs(app, openapi_aliases=("/openapi.json",))
    app.state.admin = state
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.add_api_websocket_route(console_socket.PATH, console_socket.console_socket)

    async def db_ready() -> bool:
        async with state.sessions() as session:
            await session.execute(text("SELECT 1"))
        return True

    async def bus_ready() -> bool:
        return await state.bus.ping()

    for route in probe_routes("admin_api", {"db": db_ready, "bus": bus_ready}):
        app.router.routes.append(route)
    # Last: the app's history-mode fallback must not shadow any API or probe route.
    app.router.routes.extend(spa_routes(spa_dir))
    app.router.default = spa_fallback(spa_dir, app.router.default)
    return app


class AdminService:
    """The admin HTTP API plus the publication scheduler and the heartbeat."""

    name = "admin_api"

    def __init__(self, settings: AdminSettings, resources: Resources) -> None:
        self.settings = settings
        self.port = settings.admin_port
        self.ops_port = settings.admin_ops_port
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(10.0))
        self.state = AdminState(
            settings=settings,
            sessions=resources.sessions,
            secret_box=resources.secret_box,
            tokens=TokenCodec(settings.secret_key, settings.access_token_ttl_s),
            bus=resources.bus,
            http=self.http,
            answers=known_answers(settings.plugins),
            hub=ConsoleHub(
                resources.bus, resources.sessions, instance_id=settings.instance_id or ""
            ),
        )
        self.app = create_app(self.state, spa_dir=resolve_dist(settings.spa_dir))
        self.heartbeat = Heartbeat(
            resources.bus,
            service=self.name,
            instance_id=settings.instance_id or self.name,
            interval_s=settings.heartbeat_interval_s,
        )
        self._console_watch = Periodic(
            self._watch_consoles,
            interval_s=settings.cs_console_check_s,
            name="console watch",
        )
        self._scheduler = Periodic(
            self._run_due,
            interval_s=settings.scheduler_interval_s,
            name="admin scheduler",
            run_at_start=True,
        )

    async def _watch_consoles(self) -> None:
        from services.admin_api.console import watch_consoles

        await watch_consoles(self.state)

    async def _run_due(self) -> None:
        from services.admin_api.publishing.scheduler import run_due

        await run_due(self.state)

    async def start(self) -> None:
        """Start the heartbeat and the scheduler of due publications; fail follower sync jobs
        a previous process left running."""
        await fail_interrupted(self.state)
        await self.heartbeat.start()
        await self._scheduler.start()
        if self.state.hub is not None:
            await self.state.hub.start()
        await self._console_watch.start()

    async def stop(self) -> None:
        """Stop background work and close the HTTP client."""
        await self._console_watch.stop()
        if self.state.hub is not None:
            await self.state.hub.stop()
        await self._scheduler.stop()
        await self.heartbeat.stop()
        for task in list(self.state.background):
            task.cancel()
        await asyncio.gather(*self.state.background, return_exceptions=True)
        await self.http.aclose()


def build(settings: AdminSettings, resources: Resources) -> AdminService:
    """Assemble the admin API on the given connections."""
    return AdminService(settings, resources)
