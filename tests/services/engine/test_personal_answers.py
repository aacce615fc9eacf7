"""Personal answers in chat through gateway + engine + the core-system sandbox (R-EN-4)."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from sqlalchemy import select

from libs.common.customer_numbers import sealed
from libs.common.db.models import Account, Command, Customer
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


async def test_opening_branch_holdings_and_agreements_for_the_bound(stack: InboundStack) -> None:
    await _bind_directly(stack, "oBoundQ", "C00000001", "bound")
    branch = (await _chat(stack, "oBoundQ", "开户行"))["Content"]
    assert branch.startswith("【开户行】")
    assert "借记卡 ************2345" in branch
    assert "演示银行上海陆家嘴支行（行号 310290000123）" in branch
    assert "演示银行上海徐家汇支行" in branch
    assert "开户日期：2019-04-12" in branch
    assert "数据时间：2025-06-30 15:00" in branch

    for word in ("持仓", "份额"):
        held = (await _chat(stack, "oBoundQ", word))["Content"]
        assert held.index("基金：") < held.index("理财产品：")
        assert "演示成长混合（000001）：10000.00 份，净值 1.2345（2025-06-30）" in held
        assert "浮动盈亏 +1345.00 元" in held
        assert "演示季季盈固收增强（WM0002）：50000.00 份" in held
        assert "合计市值：" in held
        assert "数据时间：2025-06-30 15:00" in held

    opened = (await _chat(stack, "oBoundQ", "开通协议"))["Content"]
    assert opened.startswith("【已开通协议】")
    assert "自动理财协议（演示稳享90天持有期理财 WM0001）" in opened
    assert "基金定投协议（演示成长混合 000001）" in opened
    assert "AG202306200003" not in opened  # cancelled
    assert "账户 ************2345" in opened
    cancelled = (await _chat(stack, "oBoundQ", "退订协议"))["Content"]
    assert cancelled.startswith("【已退订协议】")
    assert "退订日期 2025-02-28" in cancelled
    assert "快捷支付协议" in cancelled
    assert "AG202401150001" not in cancelled
    assert "数据时间：2025-06-30 15:00" in cancelled
    for content in (branch, held, opened, cancelled):
        assert "622202000000" not in content


async def test_empty_lists_say_so(stack: InboundStack) -> None:
    await _bind_directly(stack, "oBoundEmpty", "C00000002", "bound")
    cancelled = (await _chat(stack, "oBoundEmpty", "退订协议"))["Content"]
    assert cancelled.startswith("您目前没有已退订协议。")
    assert "数据时间：2025-06-30 15:00" in cancelled
    held = (await _chat(stack, "oBoundEmpty", "我的持仓"))["Content"]
    assert "演示天天理财货币A（000198）" in held
    assert "理财产品：" not in held


async def test_new_queries_send_the_unbound_to_the_binding_page(make_stack: Any) -> None:
    stack: InboundStack = await make_stack(h5_base_url="https://wx.example.com")
    await _bind_directly(stack, "oSuspendedQ", "C00000001", "suspended")
    for openid in ("oNobodyQ", "oSuspendedQ"):
        for text in ("开户行", "持仓", "开通协议", "退订协议"):
            fields = await _chat(stack, openid, text)
            assert fields["MsgType"] == "news", (openid, text)
            url = fields["Articles"]["item"][0]["Url"]
            assert url.startswith("https://wx.example.com/h5/bind?t="), url


async def test_query_keywords_are_configured_commands(stack: InboundStack) -> None:
    await _bind_directly(stack, "oKeyword", "C00000001", "bound")
    async with stack.resources.sessions.begin() as session:
        command = await session.scalar(select(Command).where(Command.name == "holdings"))
        assert command is not None
        command.pattern = "我的基金"
    stack.engine.configs.invalidate()
    assert "【持仓份额】" in (await _chat(stack, "oKeyword", "我的基金"))["Content"]
    assert "【持仓份额】" not in (await _chat(stack, "oKeyword", "持仓"))["Content"]


async def test_core_failure_on_new_queries_gets_a_polite_answer(
    stack: InboundStack, core_sandbox: Any
) -> None:
    await _bind_directly(stack, "oFailing", "C00000001", "bound")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{core_sandbox.port}") as core:
        fault = {"path": "/v1/customers/*", "http_status": 503, "count": 3}
        assert (await core.post("/__sandbox__/faults", json=fault)).status_code < 300
    for text in ("开户行", "持仓", "开通协议"):
        assert "请稍后再试" in (await _chat(stack, "oFailing", text))["Content"]
