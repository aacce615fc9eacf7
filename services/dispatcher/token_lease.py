"""One access_token per account, shared by every dispatcher replica (R-OUT-5, §8.1).

The ``access_tokens`` row of an account holds the current token, its expiry, a generation
counter and a lease. A replica whose cached token is within ``margin_s`` of expiry re-reads
the row; if the row is stale too it tries to take the lease with a compare-and-set
(``UPDATE … WHERE lease_until IS NULL OR lease_until < now``) — one winner per expiry period —
fetches a token (``stable_token`` preferred) and writes it back. Losers keep using the still
valid token, or wait for the winner when there is none. ``invalidate(token)`` clears the row
only if it still holds that token (compare-and-invalidate on the generation), so a burst of
40001s from many replicas causes one refresh, not one each. The token is stored encrypted, like
every other credential: a database dump alone cannot call WeChat as the account.

No refresh storms: ``stable_token`` hands out the current token until shortly before it
expires, so a refresh made early (``margin_s`` larger than WeChat's rotation window) returns a
token that is already inside the margin. The refresher then keeps the lease for half of that
token's remaining life, and every replica uses the token without asking again until then, so
such a period costs a few halving attempts, not one fetch per send.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db.models import AccessToken
from libs.common.observability.logging import get_logger
from libs.common.secret_box import SecretBox, SecretBoxError
from libs.common.wechat.api.token import fetch_stable_token, fetch_token
from libs.common.wechat.errors import WeChatTransportError
from services.dispatcher.metrics import TOKEN_REFRESHES

log = get_logger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class _Cached:
    token: str
    expires_at: datetime
    generation: int
    # A token inside the refresh margin that someone else is (or we were) refreshing: use it
    # without asking the database again until then.
    recheck_at: datetime | None = None


class TokenUnavailable(WeChatTransportError):
    """No token could be obtained in time (the lease holder never published one)."""


class TokenLease:
    """The :class:`~libs.common.wechat.client.TokenSource` of one account, backed by the DB."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
        *,
        secret_box: SecretBox,
        account_id: int,
        appid: str,
        secret: str,
        api_base: str,
        owner: str,
        margin_s: float = 300.0,
        lease_s: float = 15.0,
        prefer_stable: bool = True,
        poll_s: float = 0.05,
        wait_s: float = 10.0,
        recheck_s: float = 1.0,
        min_hold_s: float = 1.0,
    ) -> None:
        self._sessions = sessions
        self._http = http
        self._box = secret_box
        self._account_id = account_id
        self._appid = appid
        self._secret = secret
        self._api_base = api_base
        self._owner = owner
        self._margin = timedelta(seconds=margin_s)
        self._lease = timedelta(seconds=lease_s)
        self._prefer_stable = prefer_stable
        self._poll_s = poll_s
        self._wait_s = wait_s
        self._recheck = timedelta(seconds=recheck_s)
        self._min_hold_s = min_hold_s
        self._cached: _Cached | None = None
        self._lock = asyncio.Lock()

    def _fresh(self, cached: _Cached | None, now: datetime) -> bool:
        return cached is not None and cached.expires_at - now > self._margin

    def _usable(self, cached: _Cached | None, now: datetime) -> bool:
        """Fresh, or inside the margin but not to be rechecked yet (and still valid)."""
        if cached is None:
            return False
        if cached.expires_at - now > self._margin:
            return True
        return cached.recheck_at is not None and now < cached.recheck_at < cached.expires_at

    async def get(self) -> str:
        """A valid token: from memory, else from the shared row, else refreshed under the lease."""
        cached = self._cached
        if self._usable(cached, _now()):
            assert cached is not None
            return cached.token
        async with self._lock:
            return await self._obtain()

    async def invalidate(self, token: str) -> None:
        """Forget ``token`` here and in the shared row, only if it is still the current one."""
        if self._cached is not None and self._cached.token == token:
            self._cached = None
        row = await self._read()
        if row is None or row.token != token:
            return
        async with self._sessions.begin() as session:
            await session.execute(
                update(AccessToken)
                .where(
                    AccessToken.account_id == self._account_id,
                    AccessToken.generation == row.generation,
                )
                .values(token=None, expires_at=None)
            )

    async def _obtain(self) -> str:
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self._wait_s
        while True:
            now = _now()
            if self._usable(self._cached, now):
                assert self._cached is not None
                return self._cached.token
            row = await self._read()
            if row is not None and self._fresh(row, now):
                self._cached = row
                return row.token
            if await self._take_lease(now):
                return await self._refresh()
            # Someone else refreshes: a token that is still valid (inside the margin) will do,
            # and is not rechecked in the database before a while.
            if row is not None and row.expires_at > now:
                recheck = min(self._recheck, (row.expires_at - now) / 2)
                self._cached = replace(row, recheck_at=now + recheck)
                return row.token
            if loop.time() > give_up:
                raise TokenUnavailable(f"no access_token for account {self._account_id}")
            await asyncio.sleep(self._poll_s)

    async def _read(self) -> _Cached | None:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(AccessToken.token, AccessToken.expires_at, AccessToken.generation).where(
                        AccessToken.account_id == self._account_id
                    )
                )
            ).one_or_none()
        if row is None:
            await self._ensure_row()
            return None
        if row.token is None or row.expires_at is None:
            return None
        try:
            token = self._box.decrypt(row.token)
        except SecretBoxError:
            # Written under a key we no longer have (or before tokens were encrypted): refresh.
            log.warning("access_token_undecryptable", account_id=self._account_id)
            return None
        return _Cached(token, row.expires_at, row.generation)

    async def _ensure_row(self) -> None:
        try:
            async with self._sessions.begin() as session:
                await session.execute(
                    insert(AccessToken).values(account_id=self._account_id, generation=0)
                )
        except IntegrityError:
            pass  # another replica created it first

    async def _take_lease(self, now: datetime) -> bool:
        """Compare-and-set the lease: true for exactly one replica while it is free."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(AccessToken)
                .where(
                    AccessToken.account_id == self._account_id,
                    or_(AccessToken.lease_until.is_(None), AccessToken.lease_until < now),
                )
                .values(lease_owner=self._owner, lease_until=now + self._lease)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _refresh(self) -> str:
        """Fetch a token from WeChat as the lease holder and publish it in the row."""
        try:
            # The row may have been refreshed between our read and our lease: use it then.
            row = await self._read()
            if row is not None and self._fresh(row, _now()):
                self._cached = row
                return row.token
            started = time.monotonic()
            if self._prefer_stable:
                token, expires_in = await fetch_stable_token(
                    self._http, self._api_base, self._appid, self._secret
                )
            else:
                token, expires_in = await fetch_token(
                    self._http, self._api_base, self._appid, self._secret
                )
            now = _now()
            expires_at = now + timedelta(seconds=expires_in)
            hold_until = self._hold_until(now, expires_in)
            async with self._sessions.begin() as session:
                generation = await session.scalar(
                    update(AccessToken)
                    .where(AccessToken.account_id == self._account_id)
                    .values(
                        token=self._box.encrypt(token),
                        expires_at=expires_at,
                        generation=AccessToken.generation + 1,
                        # Kept while the new token is already inside the margin (see above).
                        lease_owner=self._owner if hold_until else None,
                        lease_until=hold_until,
                    )
                    .returning(AccessToken.generation)
                )
            TOKEN_REFRESHES.labels("ok").inc()
            log.info(
                "access_token_refreshed",
                account_id=self._account_id,
                expires_in=expires_in,
                took_ms=round((time.monotonic() - started) * 1000, 1),
            )
            self._cached = _Cached(token, expires_at, generation or 0, recheck_at=hold_until)
            return token
        except Exception:
            TOKEN_REFRESHES.labels("error").inc()
            await self._release_lease()
            raise

    def _hold_until(self, now: datetime, expires_in: float) -> datetime | None:
        """Until when nobody may refresh again, for a token handed out inside the margin."""
        if timedelta(seconds=expires_in) > self._margin:
            return None
        hold_s = max(self._min_hold_s, expires_in / 2)
        if hold_s >= expires_in:
            return None  # about to expire anyway: the next send refreshes
        log.info("access_token_inside_margin", account_id=self._account_id, hold_s=hold_s)
        return now + timedelta(seconds=hold_s)

    async def _release_lease(self) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(AccessToken)
                .where(
                    AccessToken.account_id == self._account_id,
                    AccessToken.lease_owner == self._owner,
                )
                .values(lease_owner=None, lease_until=None)
            )
