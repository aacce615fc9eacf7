"""Configured texts: a fixed reply (``text``) and the account's welcome message (``welcome``)."""

from __future__ import annotations

from libs.common.wechat import TextReply
from services.engine.registry import AnswerContext, AnswerRegistry, AnswerRequest


async def text_answer(_ctx: AnswerContext, request: AnswerRequest) -> TextReply | None:
    """Reply with ``params["content"]``."""
    content = str(request.params.get("content", "")).strip()
    return TextReply(content=content) if content else None


async def welcome_answer(_ctx: AnswerContext, request: AnswerRequest) -> TextReply | None:
    """The account's welcome text (subscribe, R-EN-7)."""
    welcome = request.account.welcome_text.strip()
    return TextReply(content=welcome) if welcome else None


def register(registry: AnswerRegistry) -> None:
    """Register this module's answers."""
    registry.add("text", text_answer)
    registry.add("welcome", welcome_answer)
