"""The service catalogue: name → (settings class, build function)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp

from libs.common.observability.access_log import AccessLog
from libs.common.resources import Resources
from libs.common.serving import Service
from libs.common.settings import CommonSettings


@dataclass(frozen=True)
class ServiceEntry:
    """How to configure and build one service (with the access log when the settings ask)."""

    settings: type[CommonSettings]
    build_service: Callable[[Any, Resources], Service]

    def build(self, settings: CommonSettings, resources: Resources) -> Service:
        """The service; its HTTP app behind :class:`AccessLog` when ``log_access`` is on."""
        service = self.build_service(settings, resources)
        return _AccessLogged(service) if settings.log_access else service


class _AccessLogged:
    """A service whose HTTP app writes an access log line per request."""

    def __init__(self, service: Service) -> None:
        self._service = service
        self._app = AccessLog(service.app, service.name)

    @property
    def name(self) -> str:
        return self._service.name

    @property
    def app(self) -> ASGIApp:
        return self._app

    @property
    def port(self) -> int:
        return self._service.port

    async def start(self) -> None:
        await self._service.start()

    async def stop(self) -> None:
        await self._service.stop()


def catalogue() -> dict[str, ServiceEntry]:
    """Every service, in start order (consumers before the gateway that feeds them)."""
    from services.admin_api.app import build as build_admin
    from services.admin_api.settings import AdminSettings
    from services.dispatcher.app import build as build_dispatcher
    from services.dispatcher.settings import DispatcherSettings
    from services.engine.app import build as build_engine
    from services.engine.settings import EngineSettings
    from services.gateway.app import build as build_gateway
    from services.gateway.settings import GatewaySettings
    from services.stats.app import build as build_stats
    from services.stats.settings import StatsSettings

    return {
        "stats": ServiceEntry(StatsSettings, build_stats),
        "engine": ServiceEntry(EngineSettings, build_engine),
        "dispatcher": ServiceEntry(DispatcherSettings, build_dispatcher),
        "admin_api": ServiceEntry(AdminSettings, build_admin),
        "gateway": ServiceEntry(GatewaySettings, build_gateway),
    }
