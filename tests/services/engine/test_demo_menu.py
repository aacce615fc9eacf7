"""The demo account's menu (wxhub/demo/menu.py): within WeChat's limits, saved once, and every
button's key answered by the engine."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from libs.common.db.models import Account, CsConfig, Menu
from libs.common.wechat.menu_rules import button_violations
from sandboxes import wechat_api
from sandboxes.server import serve
from tests.services.support import InboundStack
from wxhub.demo.account import DEMO
from wxhub.demo.admin import seed_admin_demo
from wxhub.demo.materials import CREDIT_CARD_MENU_KEY, seed_materials_demo
from wxhub.demo.menu import CS_KEY, DEMO_MENU, seed_menu_demo

_create_times = itertools.count(int(time.time()))


@pytest.fixture
async def menu_stack(make_stack: Any) -> AsyncIterator[InboundStack]:
    """Gateway + engine with the demo's materials and menu seeded; WeChat API is the sandbox."""
    running = await serve(wechat_api.build_app(wechat_api.WeChatApiState()), "127.0.0.1", 0)
    stack: InboundStack = await make_stack(wechat_api_base=running.url)
    async with stack.resources.sessions.begin() as session:
        await seed_admin_demo(session, stack.resources.secret_box)
        await seed_materials_demo(session, "https://pages.example")
        await seed_menu_demo(session)
    yield stack
    await running.stop()


def _buttons(kind: str) -> list[dict[str, Any]]:
    return [sub for top in DEMO_MENU for sub in top["sub_button"] if sub["type"] == kind]


def test_the_demo_menu_keeps_wechats_limits() -> None:
    assert button_violations(DEMO_MENU) == []
    assert CREDIT_CARD_MENU_KEY in {button["key"] for button in _buttons("click")}


async def test_seeding_saves_one_unpublished_default_menu(menu_stack: InboundStack) -> None:
    async with menu_stack.resources.sessions.begin() as session:
        await seed_menu_demo(session)  # every `make run` seeds again
    async with menu_stack.resources.sessions() as session:
        account = await session.scalar(select(Account).where(Account.code == DEMO.code))
        assert account is not None
        menus = (await session.scalars(select(Menu).where(Menu.account_id == account.id))).all()
        cs_config = await session.get(CsConfig, account.id)
    assert [(m.kind, m.buttons, m.published_at) for m in menus] == [("default", DEMO_MENU, None)]
    # The customer-service button sends the key the demo account's customer service listens to.
    assert cs_config is not None
    assert cs_config.menu_key == CS_KEY


async def test_every_click_button_gets_an_answer(menu_stack: InboundStack) -> None:
    stack = menu_stack
    answered: dict[str, str] = {}
    for button in _buttons("click"):
        if button["key"] == CS_KEY:
            continue  # opens a customer-service session: answered through the dispatcher
        event = stack.pusher.event(
            "oMenuTour", "CLICK", create_time=next(_create_times), EventKey=button["key"]
        )
        response = await stack.post(event)
        assert response.status_code == 200
        assert response.content != b"success", f"{button['name']} ({button['key']}) got no answer"
        answered[button["key"]] = stack.reply_fields(response)["MsgType"]
    assert answered[CREDIT_CARD_MENU_KEY] == "news"
    assert answered["BIND"] == "news"  # the signed binding link


async def test_the_branch_button_asks_for_a_location_and_answers_with_branches(
    menu_stack: InboundStack,
) -> None:
    [button] = _buttons("location_select")
    event = menu_stack.pusher.event(
        "oMenuTour",
        "location_select",
        create_time=next(_create_times),
        EventKey=button["key"],
        SendLocationInfo={"Location_X": "31.2397", "Location_Y": "121.4998", "Scale": "15"},
    )
    reply = menu_stack.reply_fields(await menu_stack.post(event))
    assert "陆家嘴财富管理中心" in str(reply)
