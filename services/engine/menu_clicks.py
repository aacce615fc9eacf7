"""VIEW menu buttons (R-ST-3): WeChat reports the opened URL, which becomes a ``click`` event.

Menu links are opened in WeChat's browser straight from the menu, so the VIEW callback is the
only trace of them; it is published like a tracked short link's click (``source="menu"``). A
button that is one of our short links (the account tracks clicks) is counted by the short link's
redirect instead, so it is not published here: a tap is one click.
"""

from __future__ import annotations

import hashlib

from libs.common.bus import EVENTS, Bus
from libs.common.observability.logging import get_logger
from libs.common.schemas.events import LinkClicked
from libs.common.wechat import InboundMessage, ViewEvent

log = get_logger(__name__)

ROUTING_KEY = "click"


def menu_click(
    account: str, message: InboundMessage, dedup_key: str, *, short_links: str = ""
) -> LinkClicked | None:
    """The click a VIEW event reports, or None for any other message and for a VIEW button that
    is a short link under ``short_links`` (its redirect publishes the click)."""
    if not isinstance(message, ViewEvent) or not message.url:
        return None
    if short_links and message.url.startswith(short_links):
        return None
    return LinkClicked(
        # The callback's key: WeChat's retries of one tap are one click.
        message_id=hashlib.blake2b(dedup_key.encode(), digest_size=16).hexdigest(),
        account=account,
        url=message.url[:2048],
        source="menu",
        openid=message.from_user,
        menu_id=message.menu_id,
    )


async def publish_click(bus: Bus, click: LinkClicked) -> None:
    """Publish the click; statistics only, so a failure is logged, not retried."""
    try:
        await bus.publish(EVENTS, ROUTING_KEY, click.to_bytes(), message_id=click.message_id)
    except Exception:
        log.exception("menu_click_not_published", account=click.account)
