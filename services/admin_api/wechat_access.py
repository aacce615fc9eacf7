"""Access tokens for admin-side WeChat calls (menu publishing), shared through ``access_tokens``.

The dispatcher owns refreshing (with a lease); here we only read its row, and when it is empty or
about to expire we fetch a *stable* token — which returns the same token every caller already
has, so we never invalidate the dispatcher's — and store it (encrypted, as the dispatcher does)
for everyone.
"""

from __future__ import annotations

from datetime import timedelta

from libs.common.db.models import AccessToken, Account, utcnow
from libs.common.secret_box import SecretBoxError
from libs.common.wechat import WeChatClient
from libs.common.wechat.api.token import fetch_stable_token
from services.admin_api.state import AdminState

# A token this close to expiry is treated as expired (WeChat calls take time).
_MARGIN = timedelta(seconds=120)


class StoredTokenSource:
    """A :class:`libs.common.wechat.TokenSource` over the shared ``access_tokens`` row."""

    def __init__(self, state: AdminState, account: Account) -> None:
        self._state = state
        self._account_id = account.id
        self._appid = account.appid
        self._secret_enc = account.app_secret_enc

    async def get(self) -> str:
        """The stored token if still fresh, else a stable token fetched and stored."""
        # Own short transaction: the token is shared state, independent of the request's fate.
        async with self._state.sessions.begin() as session:
            row = await session.get(AccessToken, self._account_id)
            now = utcnow()
            stored = self._stored_token(row)
            if row and stored and row.expires_at and row.expires_at - _MARGIN > now:
                return stored
            secret = self._state.secret_box.decrypt(self._secret_enc)
            token, expires_in = await fetch_stable_token(
                self._state.http, self._state.settings.wechat_api_base, self._appid, secret
            )
            if row is None:
                row = AccessToken(account_id=self._account_id, generation=0)
                session.add(row)
            row.token = self._state.secret_box.encrypt(token)
            row.expires_at = now + timedelta(seconds=expires_in)
            row.generation = (row.generation or 0) + 1
            return token

    async def invalidate(self, token: str) -> None:
        """Mark ``token`` expired if it is still the stored one (compare-and-invalidate)."""
        async with self._state.sessions.begin() as session:
            row = await session.get(AccessToken, self._account_id)
            if row is not None and self._stored_token(row) == token:
                row.expires_at = utcnow()

    def _stored_token(self, row: AccessToken | None) -> str | None:
        """The row's token in clear, or None when there is none or it is not ours to read."""
        if row is None or not row.token:
            return None
        try:
            return self._state.secret_box.decrypt(row.token)
        except SecretBoxError:
            return None  # written under a retired key: fetch a fresh one


def client_for(state: AdminState, account: Account) -> WeChatClient:
    """A WeChat API client acting for ``account``."""
    return WeChatClient(
        state.http,
        base_url=state.settings.wechat_api_base,
        tokens=StoredTokenSource(state, account),
    )
