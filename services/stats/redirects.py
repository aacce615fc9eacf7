"""The presentation routes' short links (R-ST-3): ``GET /r/<code>`` → 302 to the registered
target, and a ``click`` event on ``wx.events``.

Only a code this platform signed that names a registered link redirects, and only to that
link's target: forged, altered or unknown codes get a 404 page, never a redirect, so the route
cannot be used as an open redirect. Reading is all it does with the database; the click is
published, and stored by the stats consumer like any other event. A click that cannot be
published still redirects (the follower is not made to wait for statistics).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from libs.common.bus import EVENTS, Bus
from libs.common.observability.logging import get_logger
from libs.common.schemas.events import LinkClicked
from libs.common.short_links import ROUTE_PREFIX, ShortLinkSigner, get_link
from services.stats.metrics import CLICKS

log = get_logger(__name__)

CLICK_ROUTING_KEY = "click"
NOT_FOUND_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>链接无效</title></head>
<body style="font-family: sans-serif; text-align: center; padding: 3em 1em; color: #333">
<h1 style="font-size: 1.3em">链接无效</h1>
<p>您打开的链接不存在或已失效，请回到公众号重新打开。</p>
</body></html>
"""
_NO_STORE = {"cache-control": "no-store"}


def redirect_routes(
    signer: ShortLinkSigner, sessions: async_sessionmaker[AsyncSession], bus: Bus
) -> list[Route]:
    """The ``/r/<code>`` route."""

    async def follow(request: Request) -> Response:
        code = request.path_params["code"]
        link_id = signer.link_id(code)
        link = None
        if link_id is not None:
            async with sessions() as session:
                link = await get_link(session, link_id=link_id)
        if link is None:
            CLICKS.labels("-", "refused").inc()
            return HTMLResponse(NOT_FOUND_PAGE, 404, headers=_NO_STORE)
        event = LinkClicked(
            account=link.account,
            url=link.url,
            # A menu button's link counts as a menu click (the engine leaves those to us).
            source="menu" if link.channel == "menu" else "short_link",
            openid=link.openid,
            link_id=link.id,
            notification_id=link.notification_id,
            publication_id=link.publication_id,
            event_type=link.event_type,
            channel=link.channel,
        )
        try:
            await bus.publish(
                EVENTS, CLICK_ROUTING_KEY, event.to_bytes(), message_id=event.message_id
            )
        except Exception:
            log.exception("click_not_published", link_id=link.id)
        CLICKS.labels(link.account, "redirected").inc()
        # 302 and no caching: every open is a click, and the target is ours to change.
        return RedirectResponse(link.url, 302, headers=_NO_STORE)

    # ``path``: anything under /r/ gets the page, not the API's JSON 404.
    return [Route(ROUTE_PREFIX + "{code:path}", follow, methods=["GET"])]
