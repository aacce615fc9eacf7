"""The accounts the gateway serves, with their decrypted callback credentials, cached in memory.

The callback hot path must not touch the database, so the directory is loaded at start and refreshed
in the background; a newly added account is served within ``account_refresh_s``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db.models import Account
from libs.common.observability.logging import get_logger
from libs.common.periodic import Periodic
from libs.common.secret_box import SecretBox
from libs.common.wechat import MessageCrypto
from services.gateway import repository

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class CallbackAccount:
    """What the gateway needs to verify, decrypt and answer one account's callbacks."""

    code: str
    appid: str
    original_id: str
    mode: str
    token: str
    crypto: MessageCrypto | None

    @property
    def accepts_plaintext(self) -> bool:
        """Safe mode refuses unencrypted callbacks."""
        return self.mode != "safe"


class CallbackAccounts:
    """Account code → :class:`CallbackAccount`, refreshed from the database periodically."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        secret_box: SecretBox,
        *,
        refresh_s: float = 5.0,
    ) -> None:
        self._sessions = sessions
        self._box = secret_box
        self._accounts: dict[str, CallbackAccount] = {}
        self._refresh = Periodic(self._reload, interval_s=refresh_s, name="callback accounts")
        self.loaded = False

    def get(self, code: str) -> CallbackAccount | None:
        """The account for a callback path, if it exists and is enabled."""
        return self._accounts.get(code)

    async def load(self) -> None:
        """Read every enabled account from the database."""
        async with self._sessions() as session:
            rows = await repository.list_enabled_accounts(session)
        accounts: dict[str, CallbackAccount] = {}
        for row in rows:
            try:
                accounts[row.code] = self._to_callback_account(row)
            except Exception:
                log.exception("account_unusable", account=row.code)
        self._accounts = accounts
        self.loaded = True

    def _to_callback_account(self, row: Account) -> CallbackAccount:
        token = self._box.decrypt(row.token_enc)
        keys = [
            k
            for k in (
                self._box.decrypt_optional(row.aes_key_enc),
                self._box.decrypt_optional(row.aes_key_previous_enc),
            )
            if k
        ]
        crypto = MessageCrypto(token, keys, row.appid) if keys else None
        return CallbackAccount(row.code, row.appid, row.original_id, row.mode, token, crypto)

    async def start(self) -> None:
        """Load now, then keep refreshing in the background."""
        await self.load()
        await self._refresh.start()

    async def _reload(self) -> None:
        try:
            await self.load()
        except Exception:
            log.exception("account_refresh_failed")

    async def stop(self) -> None:
        """Stop refreshing."""
        await self._refresh.stop()
