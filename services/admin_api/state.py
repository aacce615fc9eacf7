"""What every request handler can reach: settings, sessions, secret box, tokens, bus, WeChat,
material files."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.answer_names import BUILTIN_ANSWERS
from libs.common.bus import Bus
from libs.common.material_storage import DatabaseMaterialStorage, MaterialStorage
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
    # Material files, shared by every replica (R-AD-5): in the database, never on local disk.
    materials: MaterialStorage = field(default_factory=DatabaseMaterialStorage)
    # The answer names a command or menu action may give as its handler (built-ins + plug-ins).
    answers: frozenset[str] = BUILTIN_ANSWERS
    # This replica's customer-service console sockets (None: no pushes, e.g. route tests).
    hub: ConsoleHub | None = None
    # Tasks running in this process (follower sync jobs), held so they are not collected.
    background: set[asyncio.Task[None]] = field(default_factory=set)
