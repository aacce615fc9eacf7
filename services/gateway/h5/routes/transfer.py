"""``/h5/transfer`` (GET only): the way into mobile banking; nothing is transferred here."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from libs.common.h5_links import TRANSFER_PAGE
from services.gateway.h5 import pages
from services.gateway.h5.routes.guards import PageGuard


class TransferPage:
    """The page that sends a customer on to the mobile-banking transfer."""

    def __init__(self, guard: PageGuard, transfer_url: str) -> None:
        self._guard = guard
        self._transfer_url = transfer_url

    async def show(self, request: Request) -> Response:
        """GET /h5/transfer: the way into mobile banking (nothing is transferred here)."""
        opened = await self._guard.opened(request, TRANSFER_PAGE)
        if isinstance(opened, Response):
            return opened
        return pages.transfer_page(opened.token, self._transfer_url, opened.lang)
