"""Custom menus, default and conditional (§8.5)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from libs.common.wechat.errors import WeChatTransportError

if TYPE_CHECKING:
    from libs.common.wechat.client import WeChatClient


class MenuApi:
    """Create, read and delete the default and conditional menus."""

    def __init__(self, client: WeChatClient) -> None:
        self._client = client

    async def create(self, buttons: Sequence[Mapping[str, Any]]) -> None:
        """Replace the default menu with ``buttons`` (1-3 top-level buttons)."""
        await self._client.post_json("/cgi-bin/menu/create", {"button": list(buttons)})

    async def get(self) -> dict[str, Any]:
        """The default menu plus any conditional menus."""
        return await self._client.get_json("/cgi-bin/menu/get")

    async def delete(self) -> None:
        """Delete the default menu and with it every conditional menu."""
        await self._client.get_json("/cgi-bin/menu/delete")

    async def add_conditional(
        self, buttons: Sequence[Mapping[str, Any]], matchrule: Mapping[str, Any]
    ) -> str:
        """Add a conditional menu; returns its ``menuid``."""
        answer = await self._client.post_json(
            "/cgi-bin/menu/addconditional", {"button": list(buttons), "matchrule": matchrule}
        )
        menuid = answer.get("menuid")
        if menuid is None:
            raise WeChatTransportError("addconditional response lacks menuid")
        return str(menuid)

    async def delete_conditional(self, menuid: str) -> None:
        """Delete one conditional menu."""
        await self._client.post_json("/cgi-bin/menu/delconditional", {"menuid": menuid})
