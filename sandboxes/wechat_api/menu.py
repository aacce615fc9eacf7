"""Custom menus: ``/cgi-bin/menu/create|get|delete|addconditional|delconditional``.

Menus are judged by WeChat's rules in :mod:`libs.common.wechat.menu_rules` (the admin API checks
the same ones before publishing); a broken one answers the errcode of its first violation.
"""

from __future__ import annotations

from collections.abc import Callable

from libs.common.wechat.errors import InvalidMenu
from libs.common.wechat.menu_rules import check_buttons, check_matchrule
from sandboxes.faults import JsonObject
from sandboxes.wechat_api.protocol import ApiCall, ApiError


def check_menu(buttons: object) -> None:
    """Raise the real API's errcode when ``buttons`` breaks the menu rules."""
    try:
        check_buttons(buttons)
    except InvalidMenu as exc:
        raise ApiError(exc.errcode) from None


class Menus:
    """The default menu and the conditional menus of the account."""

    def __init__(self, next_id: Callable[[], int]) -> None:
        self._next_id = next_id
        self.menu: JsonObject | None = None
        self.conditional: dict[str, JsonObject] = {}

    async def create(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/menu/create``."""
        buttons = call.body.get("button")
        check_menu(buttons)
        self.menu = {"button": buttons, "menuid": self._next_id()}
        return {}

    async def get(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/menu/get``."""
        if self.menu is None:
            raise ApiError(46003)
        result: JsonObject = {"menu": self.menu}
        if self.conditional:
            result["conditionalmenu"] = list(self.conditional.values())
        return result

    async def delete(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/menu/delete`` (default and conditional menus)."""
        self.menu = None
        self.conditional.clear()
        return {}

    async def add_conditional(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/menu/addconditional``."""
        if self.menu is None:
            raise ApiError(65303)
        buttons = call.body.get("button")
        check_menu(buttons)
        rule = call.body.get("matchrule")
        try:
            check_matchrule(rule)
        except InvalidMenu as exc:
            raise ApiError(exc.errcode) from None
        assert isinstance(rule, dict)
        menuid = str(self._next_id())
        self.conditional[menuid] = {"button": buttons, "matchrule": rule, "menuid": menuid}
        return {"menuid": menuid}

    async def del_conditional(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/menu/delconditional``."""
        if self.conditional.pop(str(call.body.get("menuid")), None) is None:
            raise ApiError(65301)
        return {}
