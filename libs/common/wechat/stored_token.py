"""Access tokens for WeChat calls made outside the dispatcher, shared through ``access_tokens``.

The dispatcher owns refreshing (with a lease, ``services/dispatcher/token_lease.py``); here we
only read its row, and when it is empty or about to expire we fetch a *stable* token — which
returns the same token every caller already has, so we never invalidate the dispatcher's — and
store it (encrypted, as the dispatcher does) for everyone. The admin API (menus, mass sends,
follower sync, console images) and the engine (media for replies) use it.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db.models import AccessToken, utcnow
from libs.common.secret_box import SecretBox, SecretBoxError
from libs.common.wechat.api.token import fetch_stable_token

# A token this close to expiry is treated as expired (WeChat calls take time).
_MARGIN = timedelta(seconds=120)


class StoredTokenSource:
    """A :class:`libs.common.wechat.TokenSource` over the shared ``access_tokens`` row."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
        box: SecretBox,
        api_base: str,
        account_id: int,
        appid: str,
        secret_enc: str,
    ) -> None:
        self._sessions = sessions
        self._http = http
        self._box = box
        self._api_base = api_base
        self._account_id = account_id
        self._appid = appid
        self._secret_enc = secret_enc

    async def get(self) -> str:
        """The stored token if still fresh, else a stable token fetched and stored."""
        # Own short transaction: the token is shared state, independent of the caller's fate.
        async with self._sessions.begin() as session:
            row = await session.get(AccessToken, self._account_id)
            now = utcnow()
            stored = self._stored_token(row)
            if row and stored and row.expires_at and row.expires_at - _MARGIN > now:
                return stored
            secret = self._box.decrypt(self._secret_enc)
            token, expires_in = await fetch_stable_token(
                self._http, self._api_base, self._appid, secret
            )
            if row is None:
                row = AccessToken(account_id=self._account_id, generation=0)
                session.add(row)
            row.token = self._box.encrypt(token)
            row.expires_at = now + timedelta(seconds=expires_in)
            row.generation = (row.generation or 0) + 1
            return token

    async def invalidate(self, token: str) -> None:
        """Mark ``token`` expired if it is still the stored one (compare-and-invalidate)."""
        async with self._sessions.begin() as session:
            row = await session.get(AccessToken, self._account_id)
            if row is not None and self._stored_token(row) == token:
                row.expires_at = utcnow()

    def _stored_token(self, row: AccessToken | None) -> str | None:
        """The row's token in clear, or None when there is none or it is not ours to read."""
        if row is None or not row.token:
            return None
        try:
            return self._box.decrypt(row.token)
        except SecretBoxError:
            return None  # written under a retired key: fetch a fresh one
