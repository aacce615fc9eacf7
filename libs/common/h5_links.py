"""Signed, single-use, time-limited links to second-level pages (二级页面, R-EN-5).

The engine puts such a link into a chat answer ("绑定" → the binding page); the gateway serves the
page only for a link it can verify. A link names the account, the openid and the page, carries a
random nonce and an expiry, and is signed by HMAC-SHA256 with a key derived from the platform
secret for this purpose only. Whoever holds the link acts as that openid until it expires or is
used, so the TTL is short (a setting, 10 minutes by default) and the use is recorded in the
database (:class:`~libs.common.db.models.H5LinkUse`), where every gateway replica sees it.

Token: ``base64url(payload JSON) "." base64url(HMAC)``; keys rotate like the secret box's (links
signed under a previous key still verify until they expire).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from urllib.parse import urlencode

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import H5LinkUse
from libs.common.secret_box import derive_key

KEY_PURPOSE = "h5-link"
# The pages links lead to (``/h5/<page>``).
BIND_PAGE = "bind"
UNBIND_PAGE = "unbind"
SUBSCRIPTIONS_PAGE = "subscriptions"
PHONE_PAGE = "phone"
TRANSFER_PAGE = "transfer"
APPLY_PAGE = "apply"
# Longer tokens are refused before any decoding work.
MAX_TOKEN_CHARS = 512


class LinkRefused(ValueError):
    """The link cannot be used; ``reason`` is ``forged``, ``expired`` or ``used``."""

    reason = "forged"


class LinkForged(LinkRefused):
    """Malformed, or not signed by us, or signed for another page."""


class LinkExpired(LinkRefused):
    """Signed by us, but older than its TTL."""

    reason = "expired"


class LinkUsed(LinkRefused):
    """Already used once."""

    reason = "used"


@dataclass(frozen=True, slots=True)
class LinkClaims:
    """What a verified link vouches for."""

    account: str
    openid: str
    page: str
    nonce: str
    expires_at: float


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class H5LinkSigner:
    """Issues and verifies page links; the current key signs, previous keys still verify."""

    def __init__(
        self,
        secret_key: str,
        previous_keys: Sequence[str] = (),
        *,
        ttl_s: float = 600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = [derive_key(key, KEY_PURPOSE) for key in (secret_key, *previous_keys)]
        self._ttl_s = ttl_s
        self._clock = clock

    @property
    def ttl_s(self) -> float:
        """How long an issued link stays valid."""
        return self._ttl_s

    def issue(self, account: str, openid: str, page: str) -> str:
        """A fresh token for ``page`` of ``account``, acting as ``openid``."""
        payload = {
            "a": account,
            "o": openid,
            "p": page,
            "n": secrets.token_hex(16),
            "e": int(self._clock() + self._ttl_s),
        }
        body = _b64encode(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{_b64encode(self._sign(self._keys[0], body))}"

    def url(self, base_url: str, account: str, openid: str, page: str) -> str:
        """The page's absolute URL carrying a fresh token (``{base}/h5/{page}?t=…``)."""
        token = self.issue(account, openid, page)
        return f"{base_url.rstrip('/')}/h5/{page}?{urlencode({'t': token})}"

    def verify(self, token: str, page: str) -> LinkClaims:
        """The claims of a token for ``page``; raises :class:`LinkForged` or :class:`LinkExpired`.

        Single use is the database's business: see :func:`is_used` and :func:`record_use`.
        """
        if not token or len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
            raise LinkForged("malformed link")
        body, _, signature = token.partition(".")
        try:
            given = _b64decode(signature)
        except (binascii.Error, ValueError):
            raise LinkForged("malformed signature") from None
        if not any(hmac.compare_digest(given, self._sign(key, body)) for key in self._keys):
            raise LinkForged("bad signature")
        try:
            payload = json.loads(_b64decode(body))
            claims = LinkClaims(
                account=str(payload["a"]),
                openid=str(payload["o"]),
                page=str(payload["p"]),
                nonce=str(payload["n"]),
                expires_at=float(payload["e"]),
            )
        except (binascii.Error, ValueError, KeyError, TypeError):
            raise LinkForged("malformed payload") from None
        if claims.page != page:
            raise LinkForged("link for another page")
        if self._clock() >= claims.expires_at:
            raise LinkExpired("link expired")
        return claims

    @staticmethod
    def _sign(key: bytes, body: str) -> bytes:
        return hmac.new(key, body.encode(), sha256).digest()


async def is_used(session: AsyncSession, claims: LinkClaims) -> bool:
    """Whether the link was used already (a cheap check before any work)."""
    found = await session.scalar(select(H5LinkUse.nonce).where(H5LinkUse.nonce == claims.nonce))
    return found is not None


async def record_use(session: AsyncSession, claims: LinkClaims) -> None:
    """Mark the link used inside the caller's transaction; raises :class:`LinkUsed` if it was.

    The nonce is the primary key, so of two replicas using one link at once only one commits.
    """
    session.add(
        H5LinkUse(
            nonce=claims.nonce,
            account=claims.account,
            openid=claims.openid,
            page=claims.page,
            expires_at=datetime.fromtimestamp(claims.expires_at, UTC),
        )
    )
    try:
        await session.flush()
    except IntegrityError:
        raise LinkUsed("link already used") from None


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    """Forget uses of links that expired (their signature refuses them anyway); returns how many."""
    result = await session.execute(delete(H5LinkUse).where(H5LinkUse.expires_at < now))
    return int(getattr(result, "rowcount", 0) or 0)
