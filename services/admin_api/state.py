"""What every request handler can reach: settings, sessions, secret box, tokens, bus, WeChat."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.bus import Bus
from libs.common.secret_box import SecretBox
from services.admin_api.security import TokenCodec
from services.admin_api.settings import AdminSettings


@dataclass
class AdminState:
    """Process-wide objects of the admin API, built once in ``build()``."""

    settings: AdminSettings
    sessions: async_sessionmaker[AsyncSession]
    secret_box: SecretBox
    tokens: TokenCodec
    bus: Bus
    http: httpx.AsyncClient
    _trusted_cache: tuple[tuple[str, ...], tuple[IPv4Network | IPv6Network, ...]] | None = field(
        default=None, repr=False
    )

    @property
    def trusted_proxies(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """The networks of ``settings.trusted_proxies``, parsed once per value."""
        configured = tuple(self.settings.trusted_proxies)
        cached = self._trusted_cache
        if cached is None or cached[0] != configured:
            cached = (configured, tuple(ip_network(n, strict=False) for n in configured))
            self._trusted_cache = cached
        return cached[1]

    @property
    def storage_dir(self) -> Path:
        """Directory of material files (shared by every replica)."""
        return Path(self.settings.storage_dir)
