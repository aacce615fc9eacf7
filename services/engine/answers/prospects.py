"""Prospect conversion (R-EN-8): the link to the application page and the application's progress.

Anyone may apply (a prospect is not a bound customer): ``apply_link`` answers with a signed,
single-use link to ``/h5/apply``; ``application_progress`` ("进度") lists the follower's latest
applications with the status staff gave them in the admin API.
"""

from __future__ import annotations

from datetime import timedelta

from libs.common.applications import STATUS_LABELS, reference
from libs.common.wechat import Article, NewsReply, Reply, TextReply
from services.engine.registry import AnswerContext, AnswerRegistry, AnswerRequest

APPLY_TITLE = "在线申请"
APPLY_DESCRIPTION = "点击进入申请页面，填写姓名、验证手机号并选择产品，提交后发送“进度”查询。"
NO_APPLICATION = "您还没有提交过申请。发送“申请”即可在线办理。"
DEFAULT_SHOWN = 3
_BEIJING = timedelta(hours=8)


async def apply_link(ctx: AnswerContext, request: AnswerRequest) -> Reply:
    """``申请``: a news reply linking to the signed application page."""
    url = ctx.links.apply_url(request.account.code, request.message.from_user)
    description = request.params.get("description", APPLY_DESCRIPTION)
    validity = f"链接 {ctx.links.ttl_minutes} 分钟内有效，仅可使用一次。"
    article = Article(title=APPLY_TITLE, description=description + validity, url=url)
    return NewsReply(articles=(article,), max_articles=1)


async def application_progress(ctx: AnswerContext, request: AnswerRequest) -> Reply:
    """``进度``: the follower's latest applications and where each stands."""
    try:
        shown = max(1, min(int(request.params.get("limit", DEFAULT_SHOWN)), 10))
    except (TypeError, ValueError):
        shown = DEFAULT_SHOWN
    found = await ctx.customers.applications(request.account.id, request.message.from_user, shown)
    if not found:
        return TextReply(content=NO_APPLICATION)
    lines = ["【申请进度】"]
    for application in found:
        submitted = (application.created_at + _BEIJING).strftime("%Y-%m-%d %H:%M")
        updated = (application.updated_at + _BEIJING).strftime("%Y-%m-%d %H:%M")
        status = STATUS_LABELS.get(application.status, application.status)
        lines.append(f"· {application.product_name}（申请编号 {reference(application)}）")
        lines.append(f"  状态：{status}（更新于 {updated}），提交于 {submitted}")
        if application.status_note:
            lines.append(f"  说明：{application.status_note}")
    return TextReply(content="\n".join(lines))


def register(registry: AnswerRegistry) -> None:
    """Register this module's answers."""
    registry.add("apply_link", apply_link)
    registry.add("application_progress", application_progress)
