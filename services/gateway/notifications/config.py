"""Static configuration the API reads on every request, cached in memory for a few seconds.

Business systems (with their decrypted secrets), accounts and reminder types change rarely, and
looking them up per request would double the database round trips of the acceptance path. The
cache reloads everything at most every ``ttl_s`` seconds; concurrent requests share one reload.
"""

from __future__ import annotations

import string
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db.models import Account, BusinessSystem, ReminderType
from libs.common.observability.logging import get_logger
from libs.common.secret_box import SecretBox
from libs.common.ttl_cache import TtlCache

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SystemConfig:
    """A business system allowed to call the API."""

    id: int
    code: str
    secret: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class EnabledAccount:
    """An enabled account, by code."""

    id: int
    code: str


@dataclass(frozen=True, slots=True)
class ReminderRules:
    """What acceptance needs of a reminder type: defaults and the data fields it formats."""

    account_id: int
    event_type: str
    fallback_allowed: bool
    default_fallback: str
    default_priority: str
    # Fields the WeChat template and customer-service text format; the SMS text's separately.
    wechat_fields: frozenset[str]
    sms_fields: frozenset[str]


@dataclass(frozen=True, slots=True)
class ConfigSnapshot:
    """One consistent read of systems, accounts and reminder types."""

    systems: dict[str, SystemConfig]
    accounts: dict[str, EnabledAccount]
    reminders: dict[tuple[int, str], ReminderRules]
    loaded_at: float
    account_codes: dict[int, str] = field(default_factory=dict)

    def account_code(self, account_id: int) -> str | None:
        """The code of an account id (for status answers)."""
        return self.account_codes.get(account_id)


def placeholders(texts: Iterable[str]) -> frozenset[str]:
    """Names of the ``{field}`` placeholders used by format strings (malformed ones ignored)."""
    names: set[str] = set()
    formatter = string.Formatter()
    for text in texts:
        try:
            parsed = list(formatter.parse(text))
        except ValueError:
            continue
        for _, name, _, _ in parsed:
            if name:
                base = name.split(".", 1)[0].split("[", 1)[0]
                if base and not base.isdigit():
                    names.add(base)
    return frozenset(names)


class ConfigCache:
    """Systems, accounts and reminder types, re-read from the database when older than ``ttl_s``."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        secret_box: SecretBox,
        *,
        ttl_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._box = secret_box
        self._clock = clock
        # One entry: a consistent snapshot; a failed reload keeps serving the previous one.
        self._snapshot: TtlCache[None, ConfigSnapshot] = TtlCache(
            ttl_s, clock=clock, stale_on_error=True
        )

    async def get(self) -> ConfigSnapshot:
        """The current snapshot, reloaded first when stale; a failed reload keeps the old one."""
        return await self._snapshot.get_or_load(None, self._load)

    def invalidate(self) -> None:
        """Make the next :meth:`get` reload (after an admin change, or in tests)."""
        self._snapshot.clear()

    async def _load(self) -> ConfigSnapshot:
        async with self._sessions() as session:
            systems = (
                await session.scalars(select(BusinessSystem).where(BusinessSystem.enabled))
            ).all()
            accounts = (await session.scalars(select(Account).where(Account.enabled))).all()
            reminders = (
                await session.scalars(select(ReminderType).where(ReminderType.enabled))
            ).all()
        system_configs: dict[str, SystemConfig] = {}
        for system in systems:
            try:
                secret = self._box.decrypt(system.secret_enc).encode()
            except ValueError:
                log.error("business_system_secret_unreadable", system=system.code)
                continue
            system_configs[system.code] = SystemConfig(system.id, system.code, secret)
        return ConfigSnapshot(
            systems=system_configs,
            accounts={a.code: EnabledAccount(a.id, a.code) for a in accounts},
            reminders={(r.account_id, r.event_type): _reminder_config(r) for r in reminders},
            loaded_at=self._clock(),
            account_codes={a.id: a.code for a in accounts},
        )


def _reminder_config(row: ReminderType) -> ReminderRules:
    template_texts = [v for v in (row.template_fields or {}).values() if isinstance(v, str)]
    return ReminderRules(
        account_id=row.account_id,
        event_type=row.event_type,
        fallback_allowed=row.fallback_allowed,
        default_fallback=row.default_fallback,
        default_priority=row.default_priority,
        wechat_fields=placeholders([*template_texts, row.cs_text]),
        sms_fields=placeholders([row.sms_text]),
    )
