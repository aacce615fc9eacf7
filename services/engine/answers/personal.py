"""Personal answers (R-EN-4, R-EN-5, R-EN-6): the binding, phone and subscriptions links,
balance, recent transactions, opening branches, holdings and agreements.

Only bound followers get personal data; anyone else gets the binding link instead. Card numbers
are masked (``************3456``) and every answer carries the core system's ``as_of``. A core
system that fails or is slow gets a polite "try later" answer, never silence.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from libs.common.masking import mask_card_no
from libs.common.wechat import Article, NewsReply, Reply, TextReply
from services.engine.answers.market_data import UNAVAILABLE, _number, _when
from services.engine.core_system import CoreSystemError, NotFound
from services.engine.registry import AnswerContext, AnswerRegistry, AnswerRequest

DEFAULT_TRANSACTIONS = 5
MAX_TRANSACTIONS = 20
BIND_TITLE = "绑定身份，查询本人账户"
BIND_DESCRIPTION = "点击进入绑定页面，验证身份证号、银行卡号和查询密码。"
NEEDS_BINDING = "查询本人账户信息前请先绑定身份。点击进入绑定页面完成验证。"
UNBIND_TITLE = "解除身份绑定"
UNBIND_DESCRIPTION = "点击进入页面确认解除绑定，解除后将无法在公众号内查询本人账户。"
NOT_BOUND = "您尚未绑定身份，无需解绑。发送“绑定”可绑定身份。"
SUBSCRIPTIONS_TITLE = "服务订阅"
SUBSCRIPTIONS_DESCRIPTION = "点击进入页面，选择您希望收到的业务提醒。"
NEEDS_BINDING_FOR_SUBSCRIPTIONS = "订阅业务提醒前请先绑定身份。点击进入绑定页面完成验证。"
PHONE_TITLE = "绑定手机"
PHONE_DESCRIPTION = "点击进入页面，通过短信验证码绑定手机号，业务提醒可经短信送达。"
NOT_FOUND = "未查询到您的账户信息，请发送“绑定”重新绑定身份。"


def _bind_reply(ctx: AnswerContext, request: AnswerRequest, description: str) -> NewsReply:
    url = ctx.links.bind_url(request.account.code, request.message.from_user)
    validity = f"链接 {ctx.links.ttl_minutes} 分钟内有效，仅可使用一次。"
    article = Article(title=BIND_TITLE, description=description + validity, url=url)
    return NewsReply(articles=(article,), max_articles=1)


async def bind_link(ctx: AnswerContext, request: AnswerRequest) -> Reply:
    """``绑定`` or the binding menu key: a news reply linking to the signed binding page."""
    return _bind_reply(ctx, request, request.params.get("description", BIND_DESCRIPTION))


async def unbind_link(ctx: AnswerContext, request: AnswerRequest) -> Reply:
    """``解绑``: a link to the page confirming the unbind (nothing changes until confirmed)."""
    openid = request.message.from_user
    if await ctx.customers.bound_customer_no(request.account.id, openid) is None:
        return TextReply(content=NOT_BOUND)
    url = ctx.links.unbind_url(request.account.code, openid)
    validity = f"链接 {ctx.links.ttl_minutes} 分钟内有效，仅可使用一次。"
    article = Article(title=UNBIND_TITLE, description=UNBIND_DESCRIPTION + validity, url=url)
    return NewsReply(articles=(article,), max_articles=1)


async def subscriptions_link(ctx: AnswerContext, request: AnswerRequest) -> Reply:
    """``订阅``: a link to the page choosing which reminder types the customer receives."""
    openid = request.message.from_user
    if await ctx.customers.bound_customer_no(request.account.id, openid) is None:
        return _bind_reply(ctx, request, NEEDS_BINDING_FOR_SUBSCRIPTIONS)
    url = ctx.links.subscriptions_url(request.account.code, openid)
    validity = f"链接 {ctx.links.ttl_minutes} 分钟内有效，仅可使用一次。"
    article = Article(
        title=SUBSCRIPTIONS_TITLE, description=SUBSCRIPTIONS_DESCRIPTION + validity, url=url
    )
    return NewsReply(articles=(article,), max_articles=1)


async def phone_link(ctx: AnswerContext, request: AnswerRequest) -> Reply:
    """``绑定手机``: a link to the page verifying a mobile number by SMS code."""
    url = ctx.links.phone_url(request.account.code, request.message.from_user)
    validity = f"链接 {ctx.links.ttl_minutes} 分钟内有效，仅可使用一次。"
    article = Article(title=PHONE_TITLE, description=PHONE_DESCRIPTION + validity, url=url)
    return NewsReply(articles=(article,), max_articles=1)


def _balance_text(data: dict[str, Any]) -> str:
    lines = ["【账户余额】"]
    for account in data.get("accounts", []):
        lines.append(
            f"{account.get('type', '账户')} {mask_card_no(str(account.get('card_no', '')))}"
        )
        lines.append(
            f"余额：{_number(account.get('balance'), 2)} 元"
            f"　可用：{_number(account.get('available'), 2)} 元"
        )
    if "total_assets" in data:
        lines.append(f"合计：{_number(data.get('total_assets'), 2)} 元")
    lines.append(f"数据时间：{_when(data.get('as_of'))}")
    return "\n".join(lines)


def _transactions_text(data: dict[str, Any]) -> str:
    items = data.get("items", [])
    if not items:
        return f"近期没有交易记录。\n数据时间：{_when(data.get('as_of'))}"
    lines = [f"【最近 {len(items)} 笔交易】"]
    for item in items:
        lines.append(
            f"{item.get('date', '')} 尾号{mask_card_no(str(item.get('card_no', '')))[-4:]}"
            f" {item.get('description', '')} {_number(item.get('amount'), 2, sign=True)} 元"
            f"（余额 {_number(item.get('balance'), 2)}）"
        )
    lines.append(f"数据时间：{_when(data.get('as_of'))}")
    return "\n".join(lines)


def _limit(params: dict[str, Any]) -> int:
    try:
        limit = int(params.get("limit", DEFAULT_TRANSACTIONS))
    except (TypeError, ValueError):
        limit = DEFAULT_TRANSACTIONS
    return min(max(limit, 1), MAX_TRANSACTIONS)


async def _bound_query(
    ctx: AnswerContext,
    request: AnswerRequest,
    fetch: Callable[[str], Awaitable[dict[str, Any]]],
    render: Callable[[dict[str, Any]], str],
) -> Reply:
    """Ask the core system about the bound customer; anyone else gets the binding link."""
    customer_no = await ctx.customers.bound_customer_no(
        request.account.id, request.message.from_user
    )
    if customer_no is None:
        return _bind_reply(ctx, request, NEEDS_BINDING)
    try:
        data = await fetch(customer_no)
    except NotFound:
        return TextReply(content=NOT_FOUND)
    except CoreSystemError:
        return TextReply(content=UNAVAILABLE)
    return TextReply(content=render(data))


async def balance(ctx: AnswerContext, request: AnswerRequest) -> Reply:
    """``余额``: the bound customer's accounts, card numbers masked."""
    return await _bound_query(ctx, request, ctx.core.balance, _balance_text)


async def transactions(ctx: AnswerContext, request: AnswerRequest) -> Reply:
    """``明细``: the bound customer's last N transactions, card numbers masked."""
    limit = _limit(request.params)
    return await _bound_query(
        ctx, request, lambda no: ctx.core.transactions(no, limit), _transactions_text
    )


def _branches_text(data: dict[str, Any]) -> str:
    items = data.get("items", [])
    if not items:
        return f"未查询到您的开户信息。\n数据时间：{_when(data.get('as_of'))}"
    lines = ["【开户行】"]
    for item in items:
        lines += [
            f"{item.get('type', '账户')} {mask_card_no(str(item.get('card_no', '')))}",
            f"开户行：{item.get('branch', '—')}（行号 {item.get('branch_code', '—')}）",
            f"地址：{item.get('address', '—')}",
            f"电话：{item.get('phone', '—')}　开户日期：{item.get('opened_on', '—')}",
        ]
    lines.append(f"数据时间：{_when(data.get('as_of'))}")
    return "\n".join(lines)


HOLDING_KINDS = {"fund": "基金", "wealth": "理财产品"}


def _holdings_text(data: dict[str, Any]) -> str:
    items = data.get("items", [])
    if not items:
        return f"您目前没有基金或理财产品持仓。\n数据时间：{_when(data.get('as_of'))}"
    lines = ["【持仓份额】"]
    for kind, label in HOLDING_KINDS.items():
        held = [item for item in items if item.get("kind", "fund") == kind]
        if held:
            lines.append(f"{label}：")
        for item in held:
            lines.append(
                f"· {item.get('name', '')}（{item.get('code', '')}）"
                f"：{_number(item.get('shares'), 2)} 份，"
                f"净值 {_number(item.get('nav'), 4)}（{item.get('nav_date', '—')}），"
                f"市值 {_number(item.get('market_value'), 2)} 元，"
                f"浮动盈亏 {_number(item.get('profit'), 2, sign=True)} 元"
            )
    lines.append(f"合计市值：{_number(data.get('total_market_value'), 2)} 元")
    lines.append(f"数据时间：{_when(data.get('as_of'))}")
    lines.append("浮动盈亏按最新净值估算，以实际确认为准。")
    return "\n".join(lines)


AGREEMENT_TITLES = {"active": "已开通协议", "cancelled": "已退订协议"}


def _agreements_text(status: str) -> Callable[[dict[str, Any]], str]:
    def render(data: dict[str, Any]) -> str:
        title = AGREEMENT_TITLES[status]
        items = [item for item in data.get("items", []) if item.get("status") == status]
        if not items:
            return f"您目前没有{title}。\n数据时间：{_when(data.get('as_of'))}"
        lines = [f"【{title}】"]
        for item in items:
            product = ""
            if item.get("product_code"):
                product = f"（{item.get('product_name') or ''} {item['product_code']}）"
            dates = f"签约日期 {item.get('signed_on', '—')}"
            if status == "cancelled":
                dates += f"，退订日期 {item.get('cancelled_on') or '—'}"
            lines += [
                f"· {item.get('name', '')}{product}",
                f"  协议号 {item.get('agreement_no', '')}，"
                f"账户 {mask_card_no(str(item.get('card_no', '')))}",
                f"  {item.get('terms', '')}，{dates}",
            ]
        lines.append(f"数据时间：{_when(data.get('as_of'))}")
        return "\n".join(lines)

    return render


async def opening_branch(ctx: AnswerContext, request: AnswerRequest) -> Reply:
    """``开户行``: where each of the bound customer's accounts was opened."""
    return await _bound_query(ctx, request, ctx.core.opening_branch, _branches_text)


async def holdings(ctx: AnswerContext, request: AnswerRequest) -> Reply:
    """``持仓`` / ``份额``: the bound customer's fund and wealth-product positions."""
    return await _bound_query(ctx, request, ctx.core.holdings, _holdings_text)


def _agreements(status: str) -> Callable[[AnswerContext, AnswerRequest], Awaitable[Reply]]:
    async def answer(ctx: AnswerContext, request: AnswerRequest) -> Reply:
        return await _bound_query(
            ctx, request, lambda no: ctx.core.agreements(no, status), _agreements_text(status)
        )

    answer.__doc__ = f"The bound customer's {status} agreements (开通协议 / 退订协议)."
    return answer


def register(registry: AnswerRegistry) -> None:
    """Register this module's answers."""
    registry.add("bind_link", bind_link)
    registry.add("unbind_link", unbind_link)
    registry.add("subscriptions_link", subscriptions_link)
    registry.add("phone_link", phone_link)
    registry.add("balance", balance)
    registry.add("transactions", transactions)
    registry.add("opening_branch", opening_branch)
    registry.add("holdings", holdings)
    registry.add("opened_agreements", _agreements("active"))
    registry.add("cancelled_agreements", _agreements("cancelled"))
