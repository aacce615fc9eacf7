"""What every request handler can reach: settings, sessions, secret box, tokens, bus, WeChat."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.bus import Bus
from libs.common.secret_box import SecretBox
from services.admin_api.security import TokenCodec
from services.admin_api.settings import AdminSettings

if TYPE_CHECKING:
    from services.admin_api.push import ConsoleHub


@dataclass
class AdminState:
    """Process-wide objects of the admin API, built once in ``build()``."""

    settings: AdminSettings
    sessions: async_sessionmaker[AsyncSession]
    secret_box: SecretBox
    tokens: TokenCodec
    bus: Bus
    http: httpx.AsyncClient
    # This replica's customer-service console sockets (None: no pushes, e.g. route tests).
    hub: ConsoleHub | None = None

    @property
    def storage_dir(self) -> Path:
        """Directory of material files (shared by every replica)."""
        return Path(self.settings.storage_dir)
