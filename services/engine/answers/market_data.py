"""Public market information from the core system (R-EN-1): NAVs, FX, gold, yields, promotions.

Customers read these in WeChat: times as ``2025-06-30 15:00`` (Beijing time, as the core system
sends them), NAVs with 4 decimals, percentages and prices with 2.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from libs.common.wechat import TextReply
from services.engine.core_system import CoreSystem, CoreSystemError, NotFound
from services.engine.registry import AnswerContext, AnswerRegistry, AnswerRequest

UNAVAILABLE = "查询服务暂时不可用，请稍后再试。"
_FUND_CODE = re.compile(r"^\d{6}$")


def _number(value: Any, decimals: int, *, sign: bool = False, suffix: str = "") -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "—"
    return f"{number:{'+' if sign else ''}.{decimals}f}{suffix}"


def _change(value: Any) -> str:
    """A change in percent, always signed: ``+0.85%``, ``-1.05%``, ``+0.00%``."""
    return _number(value, 2, sign=True, suffix="%")


def _rate(value: Any) -> str:
    """A rate or yield in percent: ``1.85%``."""
    return _number(value, 2, suffix="%")


def _when(value: Any) -> str:
    """``2025-06-30T15:00:00+08:00`` as people read it: ``2025-06-30 15:00``."""
    try:
        return datetime.fromisoformat(str(value)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(value) if value else "—"


def _nav_text(data: dict[str, Any], kind: str) -> str:
    return "\n".join(
        [
            f"【{data.get('name', kind)}（{data.get('code', '')}）】",
            f"单位净值：{_number(data.get('nav'), 4)} 元",
            f"累计净值：{_number(data.get('accumulated_nav'), 4)} 元",
            f"日涨跌幅：{_change(data.get('daily_change_pct'))}",
            f"净值日期：{data.get('nav_date', '—')}",
            f"数据时间：{_when(data.get('as_of'))}",
        ]
    )


def _nav_answer(
    kind: str, fetch: Callable[[AnswerContext, str], Awaitable[dict[str, Any]]]
) -> Callable[[AnswerContext, AnswerRequest], Awaitable[TextReply]]:
    async def answer(ctx: AnswerContext, request: AnswerRequest) -> TextReply:
        code = request.argument.strip().upper()
        usage = request.params.get("usage", f"请发送“{kind} + 代码”，例如：{kind} 000001")
        if not code:
            return TextReply(content=usage)
        if kind == "基金" and not _FUND_CODE.match(code):
            return TextReply(content=f"基金代码应为 6 位数字。{usage}")
        try:
            data = await fetch(ctx, code)
        except NotFound:
            return TextReply(content=f"未找到代码为 {code} 的{kind}产品，请核对代码后重试。")
        except CoreSystemError:
            return TextReply(content=UNAVAILABLE)
        return TextReply(content=_nav_text(data, kind))

    return answer


async def _fund(ctx: AnswerContext, code: str) -> dict[str, Any]:
    return await ctx.core.fund_nav(code)


async def _wealth(ctx: AnswerContext, code: str) -> dict[str, Any]:
    return await ctx.core.wealth_nav(code)


def _board(title: list[str], rows: Iterable[str], data: dict[str, Any]) -> str:
    """A price board: its title lines, a line per row, then when the prices were taken."""
    return "\n".join([*title, *rows, f"更新时间：{_when(data.get('as_of'))}"])


def _fx_row(rate: dict[str, Any]) -> str:
    return (
        f"{rate.get('name', '')}（{rate.get('currency', '')}）"
        f"　{_number(rate.get('buy'), 2)}　{_number(rate.get('sell'), 2)}"
    )


def _fx_text(data: dict[str, Any]) -> str:
    title = ["【外汇牌价】（每 100 外币兑人民币，供 QDII 基金参考）", "币种　现汇买入　现汇卖出"]
    return _board(title, map(_fx_row, data.get("rates", [])), data)


def _gold_row(item: dict[str, Any]) -> str:
    return (
        f"{item.get('product', '')}：{_number(item.get('price'), 2)} {item.get('unit', '')}"
        f"（{_change(item.get('change_pct'))}）"
    )


def _gold_text(data: dict[str, Any]) -> str:
    title = ["【黄金行情】（供黄金 ETF 及联接基金参考）"]
    return _board(title, map(_gold_row, data.get("items", [])), data)


def _yields_text(data: dict[str, Any]) -> str:
    lines = ["【货币基金收益】"]
    for fund in data.get("money_funds", []):
        lines.append(
            f"{fund.get('name', '')}（{fund.get('code', '')}）："
            f"七日年化 {_rate(fund.get('seven_day_yield'))}，"
            f"每万份收益 {_number(fund.get('income_per_10k'), 4)} 元"
        )
    deposit = data.get("deposit", [])
    if deposit:
        lines.append("【存款利率参考】")
        lines += [f"{r.get('term', '')}：{_rate(r.get('rate'))}" for r in deposit]
    lines.append(f"数据时间：{_when(data.get('as_of'))}")
    lines.append("过往业绩不代表未来表现，基金投资有风险。")
    return "\n".join(lines)


def _promotions_text(data: dict[str, Any]) -> str:
    items = data.get("items", [])
    if not items:
        return "目前暂无优惠活动，敬请关注。"
    lines = ["【最新优惠】"]
    for index, item in enumerate(items, start=1):
        title = item.get("title", "")
        url = item.get("url", "")
        link = f'<a href="{url}">{title}</a>' if url else title
        lines.append(
            f"{index}. {link}\n{item.get('summary', '')}（活动截至 {item.get('valid_until', '—')}）"
        )
    return "\n".join(lines)


def _core_answer(
    fetch: Callable[[CoreSystem], Awaitable[dict[str, Any]]],
    render: Callable[[dict[str, Any]], str],
) -> Callable[[AnswerContext, AnswerRequest], Awaitable[TextReply]]:
    """An answer that shows one core-system query, or "unavailable" when the query fails."""

    async def answer(ctx: AnswerContext, _request: AnswerRequest) -> TextReply:
        try:
            data = await fetch(ctx.core)
        except CoreSystemError:
            return TextReply(content=UNAVAILABLE)
        return TextReply(content=render(data))

    return answer


def register(registry: AnswerRegistry) -> None:
    """Register this module's answers."""
    registry.add("fund_nav", _nav_answer("基金", _fund))
    registry.add("wealth_nav", _nav_answer("理财", _wealth))
    registry.add("fx_rates", _core_answer(lambda core: core.fx_rates(), _fx_text))
    registry.add("gold_price", _core_answer(lambda core: core.gold_price(), _gold_text))
    yields = _core_answer(lambda core: core.yields(), _yields_text)
    registry.add("money_fund_yields", yields)
    # The former name, which accounts configured before may still refer to.
    registry.add("deposit_loan_rates", yields)
    registry.add("promotions", _core_answer(lambda core: core.promotions(), _promotions_text))
