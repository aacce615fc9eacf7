"""The demo account's custom menu: a saved, unpublished default menu whose buttons name the demo's
menu keys (market data, personal services, credit cards, customer service, branches), ready for
the admin app's Menus page to publish to the WeChat API sandbox. Idempotent."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Account, Menu
from wxhub.demo.account import DEMO
from wxhub.demo.materials import CREDIT_CARD_MENU_KEY

# Keys the engine answers without a menu action row: binding (services/engine/settings.py,
# bind_menu_key) and customer service (the account's cs_configs.menu_key).
BIND_KEY = "BIND"
CS_KEY = "CS"


def _click(name: str, key: str) -> dict[str, Any]:
    return {"name": name, "type": "click", "key": key}


DEMO_MENU: list[dict[str, Any]] = [
    {
        "name": "基金行情",
        "sub_button": [
            _click("基金净值", "FUND_NAV"),
            _click("货币基金收益", "MARKET_RATES"),
            _click("外汇牌价", "MARKET_FX"),
            _click("黄金行情", "MARKET_GOLD"),
            _click("最新活动", "PROMOTIONS"),
        ],
    },
    {
        "name": "我的服务",
        "sub_button": [
            _click("绑定账户", BIND_KEY),
            _click("信用卡办理", CREDIT_CARD_MENU_KEY),
            _click("在线申请", "APPLY"),
            _click("转账汇款", "TRANSFER"),
            _click("人工客服", CS_KEY),
        ],
    },
    {
        "name": "网点与帮助",
        "sub_button": [
            {"name": "附近网点", "type": "location_select", "key": "NEARBY"},
            _click("使用帮助", "HELP"),
        ],
    },
]


def menu_keys(buttons: list[dict[str, Any]]) -> list[str]:
    """Every key a menu's buttons send, in order."""
    keys: list[str] = []
    for button in buttons:
        for item in button.get("sub_button") or [button]:
            if item.get("key"):
                keys.append(item["key"])
    return keys


async def seed_menu_demo(session: AsyncSession) -> Menu | None:
    """Save :data:`DEMO_MENU` as the demo account's default menu unless it has one; None when the
    demo account is missing. Runs after the menu actions are seeded."""
    account = await session.scalar(select(Account).where(Account.code == DEMO.code))
    if account is None:
        return None
    existing = await session.scalar(
        select(Menu).where(Menu.account_id == account.id, Menu.kind == "default")
    )
    if existing is not None:
        return existing
    menu = Menu(account_id=account.id, kind="default", name="default", buttons=DEMO_MENU)
    session.add(menu)
    await session.flush()
    return menu
