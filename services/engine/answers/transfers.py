"""``transfer_link``: transfers are done in mobile banking, never in chat (R-EN-9).

The answer is a signed link to the gateway's ``/h5/transfer`` page, which leads into the mobile
banking app (``WXHUB_MOBILE_BANKING_TRANSFER_URL``). Whatever the follower wrote after the
command word (an amount, a payee) is not read: nothing is ever transferred from a chat message.
"""

from __future__ import annotations

from libs.common.wechat import Article, NewsReply, Reply
from services.engine.registry import AnswerContext, AnswerRegistry, AnswerRequest

TRANSFER_TITLE = "转账汇款请使用手机银行"
TRANSFER_DESCRIPTION = (
    "为保障资金安全，公众号内不办理转账。点击进入页面，跳转手机银行完成转账汇款。"
)


async def transfer_link(ctx: AnswerContext, request: AnswerRequest) -> Reply:
    """``转账``: a news reply whose link leads into mobile banking."""
    url = ctx.links.transfer_url(request.account.code, request.message.from_user)
    description = request.params.get("description", TRANSFER_DESCRIPTION)
    validity = f"链接 {ctx.links.ttl_minutes} 分钟内有效。"
    article = Article(title=TRANSFER_TITLE, description=description + validity, url=url)
    return NewsReply(articles=(article,), max_articles=1)


def register(registry: AnswerRegistry) -> None:
    """Register this module's answers."""
    registry.add("transfer_link", transfer_link)
