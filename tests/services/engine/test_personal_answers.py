"""Personal answers in chat through gateway + engine + the core-system sandbox (R-EN-4)."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from sqlalchemy import select

from libs.common.customer_numbers import sealed
from libs.common.db.models import Account, Customer
from tests.services.support import InboundStack
from wxhub.demo.account import DEMO

_ids = itertools.count(7_200_000_000_000_000_000)


async def _bind_directly(stack: InboundStack, openid: str, customer_no: str, state: str) -> None:
    """A stored binding, as the binding page leaves it."""
    async with stack.resources.sessions.begin() as session:
        account_id = await session.scalar(select(Account.id).where(Account.code == DEMO.code))
        assert account_id is not None
        session.add(
            Customer(
                account_id=account_id,
                openid=openid,
                binding_state=state,
                **sealed(stack.resources.secret_box, customer_no),
            )
        )


async def _chat(stack: InboundStack, openid: str, text: str) -> dict[str, Any]:
    response = await stack.post(stack.pusher.text(openid, text, msg_id=next(_ids)))
    return stack.reply_fields(response)


async def test_unbound_or_suspended_followers_get_the_link_not_the_help(make_stack: Any) -> None:
    stack: InboundStack = await make_stack(h5_base_url="https://wx.example.com")
    await _bind_directly(stack, "oSuspended", "C00000001", "suspended")
    for openid, text in [("oNobody", "明细"), ("oNobody", "查询余额"), ("oSuspended", "余额")]:
        fields = await _chat(stack, openid, text)
        assert fields["MsgType"] == "news", (openid, text)
        url = fields["Articles"]["item"][0]["Url"]
        assert url.startswith("https://wx.example.com/h5/bind?t="), url
        assert "10 分钟" in fields["Articles"]["item"][0]["Description"]


async def test_bound_balance_masks_every_card_and_shows_as_of(stack: InboundStack) -> None:
    await _bind_directly(stack, "oBound1", "C00000001", "bound")
    content = (await _chat(stack, "oBound1", "余额"))["Content"]
    assert "************2345" in content
    assert "************7890" in content
    assert "6222020000" not in content
    assert "合计：53540.18 元" in content
    assert "数据时间：2025-06-30 15:00" in content


async def test_transactions_list_the_configured_number(make_stack: Any) -> None:
    stack: InboundStack = await make_stack(transactions_count=2)
    await _bind_directly(stack, "oBound2", "C00000001", "bound")
    content = (await _chat(stack, "oBound2", "明细"))["Content"]
    assert "【最近 2 笔交易】" in content
    assert "基金申购 000001" in content
    assert "工资" in content
    assert "信用卡还款" not in content
    assert "6222020000" not in content


async def test_core_timeout_gets_a_polite_answer_not_silence(
    make_stack: Any, core_sandbox: Any
) -> None:
    stack: InboundStack = await make_stack(core_timeout_s=0.3)
    await _bind_directly(stack, "oSlow", "C00000001", "bound")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{core_sandbox.port}") as core:
        fault = {"path": "/v1/customers/*", "latency_ms": 1500, "count": 2}
        assert (await core.post("/__sandbox__/faults", json=fault)).status_code < 300
    for text in ("余额", "明细"):
        fields = await _chat(stack, "oSlow", text)
        assert fields["MsgType"] == "text"
        assert "请稍后再试" in fields["Content"]


async def test_customer_unknown_to_the_core_system_is_told_to_bind_again(
    stack: InboundStack,
) -> None:
    await _bind_directly(stack, "oGone", "C99999999", "bound")
    content = (await _chat(stack, "oGone", "余额"))["Content"]
    assert "重新绑定" in content


async def test_help_lists_the_personal_commands(stack: InboundStack) -> None:
    content = (await _chat(stack, "oHelp", "帮助"))["Content"]
    assert "· 绑定：" in content
    assert "· 余额：查询本人账户余额（需先绑定）" in content
    assert "· 明细：" in content
    assert "查询余额：" not in content  # a synonym, not listed twice
