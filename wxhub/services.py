"""The service catalogue: name → (settings class, build function)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from libs.common.resources import Resources
from libs.common.serving import Service, build_service
from libs.common.settings import CommonSettings


@dataclass(frozen=True)
class ServiceEntry:
    """How to configure and build one service."""

    settings: type[CommonSettings]
    build_service: Callable[[Any, Resources], Service]

    def build(self, settings: CommonSettings, resources: Resources) -> Service:
        """The service as every entry point runs it (with the access log when asked for)."""
        return build_service(settings, resources, self.build_service)


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
