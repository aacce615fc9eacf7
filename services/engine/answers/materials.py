"""``material``: answer with any reply type from the material library (R-EN-12)."""

from __future__ import annotations

from libs.common.material_replies import MATERIAL_ANSWER
from libs.common.wechat import Reply, max_news_articles
from services.engine.registry import AnswerContext, AnswerRegistry, AnswerRequest


async def material_answer(ctx: AnswerContext, request: AnswerRequest) -> Reply | None:
    """The reply ``params`` name (``reply_type`` + ``material_id``; see ``media_replies``)."""
    if ctx.media is None:
        return None
    return await ctx.media.reply(
        request.account.id, request.params, max_articles=max_news_articles(request.message)
    )


def register(registry: AnswerRegistry) -> None:
    """Register this module's answers."""
    registry.add(MATERIAL_ANSWER, material_answer)
