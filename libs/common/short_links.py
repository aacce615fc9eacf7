"""Tracked short links (R-ST-3): links in outgoing messages become ``{stats}/r/<code>``.

Where a message is built for sending (the dispatcher for notifications, the admin API for
publications), an account with ``track_clicks`` has every http(s) link rewritten: the target is
registered as a :class:`~libs.common.db.models.ShortLink` row (with the message it went into and
the follower, when known) and replaced by a short link whose code carries the row's id and an
HMAC of it, keyed by a key derived from the platform secret for this purpose only. The stats
service redirects a code it can verify to the registered target and publishes a ``click``; a
forged or unknown code never redirects, so no one can use it as an open redirect.

Code: ``base62(link id)`` followed by 11 characters of base64url(HMAC-SHA256)[:8 bytes]; keys
rotate like the secret box's (codes signed under a previous key still verify).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Account, ShortLink
from libs.common.secret_box import derive_key

KEY_PURPOSE = "short-link"
ROUTE_PREFIX = "/r/"
_SIGNATURE_CHARS = 11
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
MAX_CODE_CHARS = 32
# A link in a text ends at whitespace, quotes, angle brackets or Chinese punctuation.
URL_PATTERN = re.compile(r"https?://[^\s<>\"'，。；！？、）】》]+")


def _base62(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 62)
        digits = _ALPHABET[rest] + digits
        if number == 0:
            return digits


def _from_base62(text: str) -> int | None:
    number = 0
    for char in text:
        index = _ALPHABET.find(char)
        if index < 0:
            return None
        number = number * 62 + index
    return number


class ShortLinkSigner:
    """Codes for link ids; the current key signs, previous keys still verify."""

    def __init__(self, secret_key: str, previous_keys: Sequence[str] = ()) -> None:
        self._keys = [derive_key(key, KEY_PURPOSE) for key in (secret_key, *previous_keys)]

    def code(self, link_id: int) -> str:
        """The code of link ``link_id``."""
        return _base62(link_id) + self._signature(self._keys[0], link_id)

    def link_id(self, code: str) -> int | None:
        """The link id a genuine ``code`` carries; None for anything forged or malformed."""
        if not (_SIGNATURE_CHARS < len(code) <= MAX_CODE_CHARS):
            return None
        link_id = _from_base62(code[:-_SIGNATURE_CHARS])
        if link_id is None or code[:-_SIGNATURE_CHARS] != _base62(link_id):
            return None
        given = code[-_SIGNATURE_CHARS:]
        if any(hmac.compare_digest(given, self._signature(k, link_id)) for k in self._keys):
            return link_id
        return None

    @staticmethod
    def _signature(key: bytes, link_id: int) -> str:
        digest = hmac.new(key, str(link_id).encode(), hashlib.sha256).digest()[:8]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def register(
    session: AsyncSession,
    *,
    account_id: int,
    url: str,
    notification_id: str | None = None,
    publication_id: int | None = None,
    openid: str | None = None,
    event_type: str | None = None,
    channel: str | None = None,
) -> int:
    """The id of the link to ``url`` in that message (created once; a rebuild reuses it)."""
    parts = [account_id, notification_id, publication_id, openid, channel, url]
    key = hashlib.sha256("\x1f".join(str(p or "") for p in parts).encode()).hexdigest()
    found = await session.scalar(select(ShortLink.id).where(ShortLink.dedup_key == key))
    if found is not None:
        return found
    link = ShortLink(
        account_id=account_id,
        url=url,
        notification_id=notification_id,
        publication_id=publication_id,
        openid=openid,
        event_type=event_type,
        channel=channel,
        dedup_key=key,
    )
    try:
        async with session.begin_nested():
            session.add(link)
    except IntegrityError:
        # Another builder of the same message registered it first.
        found = await session.scalar(select(ShortLink.id).where(ShortLink.dedup_key == key))
        assert found is not None
        return found
    return link.id


@dataclass(frozen=True, slots=True)
class RegisteredLink:
    """A registered link with its account's code."""

    id: int
    account: str
    url: str
    notification_id: str | None
    publication_id: int | None
    openid: str | None
    event_type: str | None
    channel: str | None


async def get_link(session: AsyncSession, *, link_id: int) -> RegisteredLink | None:
    """The registered link, or None."""
    row = (
        await session.execute(
            select(
                ShortLink.id,
                Account.code,
                ShortLink.url,
                ShortLink.notification_id,
                ShortLink.publication_id,
                ShortLink.openid,
                ShortLink.event_type,
                ShortLink.channel,
            )
            .join(Account, Account.id == ShortLink.account_id)
            .where(ShortLink.id == link_id)
        )
    ).one_or_none()
    return None if row is None else RegisteredLink(*row)


class LinkTracker:
    """Rewrites the links of one outgoing message into registered short links."""

    def __init__(self, signer: ShortLinkSigner, base_url: str) -> None:
        self._signer = signer
        self._prefix = base_url.rstrip("/") + ROUTE_PREFIX

    async def shorten(self, session: AsyncSession, url: str, **message: Any) -> str:
        """The short link for ``url`` (``message``: account_id, notification_id or
        publication_id, openid, event_type, channel: see :func:`register`); our own short links
        and non-http(s) links stay as they are."""
        if not url or url.startswith(self._prefix) or not URL_PATTERN.fullmatch(url):
            return url
        link_id = await register(session, url=url, **message)
        return self._prefix + self._signer.code(link_id)

    async def rewrite_text(self, session: AsyncSession, text: str, **message: Any) -> str:
        """``text`` with every http(s) link shortened."""
        parts: list[str] = []
        last = 0
        for match in URL_PATTERN.finditer(text):
            parts += [text[last : match.start()], await self.shorten(session, match[0], **message)]
            last = match.end()
        return "".join([*parts, text[last:]]) if parts else text

    async def rewrite_menu(
        self, session: AsyncSession, buttons: list[dict[str, Any]], **message: Any
    ) -> list[dict[str, Any]]:
        """Custom-menu buttons with every VIEW button's url shortened (sub-buttons too); the
        links are registered with ``channel="menu"``, so their clicks count as menu clicks."""
        rewritten = []
        for button in buttons:
            button = dict(button)
            if button.get("type") == "view" and button.get("url"):
                button["url"] = await self.shorten(
                    session, str(button["url"]), channel="menu", **message
                )
            if isinstance(button.get("sub_button"), list):
                button["sub_button"] = await self.rewrite_menu(
                    session, button["sub_button"], **message
                )
            rewritten.append(button)
        return rewritten

    async def rewrite_custom(
        self, session: AsyncSession, body: dict[str, Any], **message: Any
    ) -> dict[str, Any]:
        """A customer-service message body with its text links and news article urls shortened."""
        msgtype = body.get("msgtype")
        if msgtype == "text":
            content = str(body.get("text", {}).get("content", ""))
            rewritten = await self.rewrite_text(session, content, **message)
            return {**body, "text": {**body["text"], "content": rewritten}}
        if msgtype == "news":
            articles = [
                {**a, "url": await self.shorten(session, str(a.get("url", "")), **message)}
                for a in body.get("news", {}).get("articles", [])
            ]
            return {**body, "news": {**body["news"], "articles": articles}}
        return body
