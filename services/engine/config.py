"""Per-account answering configuration (commands, menu keys, texts), cached briefly in memory.

The admin API edits the same tables; a change shows up within ``config_cache_s`` without a restart,
and no message pays a database round trip while the cache is warm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db.models import Account, Command, CsConfig, MenuAction
from libs.common.observability.logging import get_logger
from libs.common.ttl_cache import TtlCache
from services.engine.matching import CompiledCommand, sort_commands

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class MenuBinding:
    """What a menu key runs."""

    handler: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CsRouting:
    """How an account's followers reach people (``cs_configs``)."""

    enabled: bool
    group: str
    keywords: frozenset[str]
    menu_key: str
    end_keyword: str
    message_keyword: str
    timezone: str
    hours: dict[str, Any]
    holidays: tuple[str, ...]
    off_hours_text: str


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """Everything the engine needs to answer one account's users."""

    id: int
    code: str
    name: str
    welcome_text: str
    help_header: str
    commands: tuple[CompiledCommand, ...]
    menu: dict[str, MenuBinding]
    cs: CsRouting | None = None


class AccountConfigCache:
    """Account code → :class:`AccountConfig`, reloaded when older than ``ttl_s``."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, ttl_s: float = 5.0) -> None:
        self._sessions = sessions
        self._cache: TtlCache[str, AccountConfig | None] = TtlCache(ttl_s)

    async def get(self, code: str) -> AccountConfig | None:
        """The account's configuration, or ``None`` for an unknown or disabled account."""
        return await self._cache.get_or_load(code, lambda: self._load(code))

    def invalidate(self) -> None:
        """Forget everything (tests, or after a known change)."""
        self._cache.clear()

    async def _load(self, code: str) -> AccountConfig | None:
        async with self._sessions() as session:
            account = await session.scalar(
                select(Account).where(Account.code == code, Account.enabled)
            )
            if account is None:
                return None
            commands = (
                await session.scalars(
                    select(Command).where(Command.account_id == account.id, Command.enabled)
                )
            ).all()
            menu_rows = (
                await session.scalars(
                    select(MenuAction).where(
                        MenuAction.account_id == account.id, MenuAction.enabled
                    )
                )
            ).all()
            cs_row = await session.get(CsConfig, account.id)
        compiled = []
        for row in commands:
            try:
                compiled.append(
                    CompiledCommand.compile(
                        name=row.name,
                        kind=row.match_kind,
                        pattern=row.pattern,
                        handler=row.handler,
                        params=row.params,
                        priority=row.priority,
                        description=row.description,
                        show_in_help=row.show_in_help,
                    )
                )
            except ValueError:
                log.warning("command_unusable", account=code, command=row.name)
        return AccountConfig(
            id=account.id,
            code=account.code,
            name=account.name,
            welcome_text=account.welcome_text,
            help_header=account.help_header,
            commands=tuple(sort_commands(compiled)),
            menu={row.key: MenuBinding(row.handler, row.params) for row in menu_rows},
            cs=_routing(cs_row) if cs_row is not None else None,
        )


def _routing(row: CsConfig) -> CsRouting:
    return CsRouting(
        enabled=row.enabled,
        group=row.group,
        keywords=frozenset("".join(str(word).split()) for word in row.keywords),
        menu_key=row.menu_key,
        end_keyword=row.end_keyword,
        message_keyword=row.message_keyword,
        timezone=row.timezone,
        hours=dict(row.hours),
        holidays=tuple(str(day) for day in row.holidays),
        off_hours_text=row.off_hours_text,
    )
