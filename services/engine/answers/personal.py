"""Personal answers (R-EN-4, R-EN-5, R-EN-6): the binding, phone and subscriptions links,
balance and recent transactions.

Only bound followers get personal data; anyone else gets the binding link instead. Card numbers
are masked (``************3456``) and every answer carries the core system's ``as_of``. A core
system that fails or is slow gets a polite "try later" answer, never silence.
"""

from __future__ import annotations

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
NEEDS_BINDING = "查询余额、明细前请先绑定身份。点击进入绑定页面完成验证。"
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


async def balance(ctx: AnswerContext, request: AnswerRequest) -> Reply:
    """``余额``: the bound customer's accounts, card numbers masked."""
    customer_no = await ctx.customers.bound_customer_no(
        request.account.id, request.message.from_user
    )
    if customer_no is None:
        return _bind_reply(ctx, request, NEEDS_BINDING)
    try:
        data = await ctx.core.balance(customer_no)
    except NotFound:
        return TextReply(content=NOT_FOUND)
    except CoreSystemError:
        return TextReply(content=UNAVAILABLE)
    return TextReply(content=_balance_text(data))


async def transactions(ctx: AnswerContext, request: AnswerRequest) -> Reply:
    """``明细``: the bound customer's last N transactions, card numbers masked."""
    customer_no = await ctx.customers.bound_customer_no(
        request.account.id, request.message.from_user
    )
    if customer_no is None:
        return _bind_reply(ctx, request, NEEDS_BINDING)
    try:
        data = await ctx.core.transactions(customer_no, _limit(request.params))
    except NotFound:
        return TextReply(content=NOT_FOUND)
    except CoreSystemError:
        return TextReply(content=UNAVAILABLE)
    return TextReply(content=_transactions_text(data))


def register(registry: AnswerRegistry) -> None:
    """Register this module's answers."""
    registry.add("bind_link", bind_link)
    registry.add("unbind_link", unbind_link)
    registry.add("subscriptions_link", subscriptions_link)
    registry.add("phone_link", phone_link)
    registry.add("balance", balance)
    registry.add("transactions", transactions)
