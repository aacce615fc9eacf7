"""Accounts and reminder configurations as the dispatcher needs them, cached for a few seconds,
and one token lease per account shared by all channels of this process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.secret_box import SecretBox
from libs.common.ttl_cache import TtlCache
from libs.common.wechat.api.message import MessageApi
from libs.common.wechat.client import WeChatClient
from services.dispatcher import repository
from services.dispatcher.token_lease import TokenLease


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """What the dispatcher needs of an account (the secret decrypted)."""

    id: int
    code: str
    appid: str
    secret: str
    # Links in its outgoing messages become tracked short links (R-ST-3).
    track_clicks: bool = False


@dataclass(frozen=True, slots=True)
class ReminderTexts:
    """The texts and template of a reminder type (R-OUT-2)."""

    template_id: str
    template_fields: dict[str, Any]
    template_url: str
    cs_text: str
    sms_text: str
    fallback_allowed: bool
    # Whether SMS still carries it to a follower who unfollowed (R-EN-7).
    sms_to_unsubscribed: bool = False


class UnknownAccount(LookupError):
    """No enabled account with that code or id."""


class AccountDirectory:
    """Cached account and reminder lookups plus the per-account token leases."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        box: SecretBox,
        token_http: httpx.AsyncClient,
        *,
        api_base: str,
        owner: str,
        ttl_s: float = 5.0,
        margin_s: float = 300.0,
        lease_s: float = 15.0,
        prefer_stable: bool = True,
    ) -> None:
        self._sessions = sessions
        self._box = box
        self._token_http = token_http
        self._api_base = api_base
        self._owner = owner
        self._margin_s = margin_s
        self._lease_s = lease_s
        self._prefer_stable = prefer_stable
        self._accounts: TtlCache[str | int, AccountInfo] = TtlCache(ttl_s)
        self._reminders: TtlCache[tuple[int, str], ReminderTexts | None] = TtlCache(ttl_s)
        self._leases: dict[int, TokenLease] = {}

    @property
    def box(self) -> SecretBox:
        """The secret box (customers' bound phones are stored encrypted)."""
        return self._box

    async def account(
        self, *, code: str | None = None, account_id: int | None = None
    ) -> AccountInfo:
        """The account by code or id; raises :class:`UnknownAccount`."""
        key: str | int = code if code is not None else (account_id or 0)
        hit = self._accounts.get(key)
        if hit is not None:
            return hit
        async with self._sessions() as session:
            row = await repository.get_account(session, account_id=account_id, code=code)
        if row is None or not row.enabled:
            raise UnknownAccount(f"no enabled account {key}")
        info = AccountInfo(
            row.id,
            row.code,
            row.appid,
            self._box.decrypt(row.app_secret_enc),
            track_clicks=row.track_clicks,
        )
        self._accounts.put(info.code, info)
        self._accounts.put(info.id, info)
        return info

    async def reminder(self, account_id: int, event_type: str) -> ReminderTexts | None:
        """The reminder configuration, or None when the event type is not configured."""
        return await self._reminders.get_or_load(
            (account_id, event_type), lambda: self._load_reminder(account_id, event_type)
        )

    async def _load_reminder(self, account_id: int, event_type: str) -> ReminderTexts | None:
        async with self._sessions() as session:
            row = await repository.get_reminder_type(
                session, account_id=account_id, event_type=event_type
            )
        return (
            None
            if row is None or not row.enabled
            else ReminderTexts(
                template_id=row.template_id,
                template_fields=dict(row.template_fields or {}),
                template_url=row.template_url,
                cs_text=row.cs_text,
                sms_text=row.sms_text,
                fallback_allowed=row.fallback_allowed,
                sms_to_unsubscribed=row.sms_to_unsubscribed,
            )
        )

    def lease(self, account: AccountInfo) -> TokenLease:
        """The token lease of an account (one per process)."""
        lease = self._leases.get(account.id)
        if lease is None:
            lease = TokenLease(
                self._sessions,
                self._token_http,
                secret_box=self._box,
                account_id=account.id,
                appid=account.appid,
                secret=account.secret,
                api_base=self._api_base,
                owner=self._owner,
                margin_s=self._margin_s,
                lease_s=self._lease_s,
                prefer_stable=self._prefer_stable,
            )
            self._leases[account.id] = lease
        return lease


class WeChatApis:
    """Message APIs per account over one HTTP pool (one instance per priority class)."""

    def __init__(
        self, directory: AccountDirectory, http: httpx.AsyncClient, *, api_base: str
    ) -> None:
        self._directory = directory
        self._http = http
        self._api_base = api_base
        self._apis: dict[str, MessageApi] = {}

    async def __call__(self, account_code: str) -> MessageApi:
        """The message API of ``account_code``."""
        api = self._apis.get(account_code)
        if api is None:
            info = await self._directory.account(code=account_code)
            client = WeChatClient(
                self._http, base_url=self._api_base, tokens=self._directory.lease(info)
            )
            api = MessageApi(client)
            self._apis[account_code] = api
        return api
