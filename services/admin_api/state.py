"""What every request handler can reach: settings, sessions, secret box, tokens, bus, WeChat."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.answer_names import BUILTIN_ANSWERS
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
    # The answer names a command or menu action may give as its handler (built-ins + plug-ins).
    answers: frozenset[str] = BUILTIN_ANSWERS

    @property
    def storage_dir(self) -> Path:
        """Directory of material files (shared by every replica)."""
        return Path(self.settings.storage_dir)
