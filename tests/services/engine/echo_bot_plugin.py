"""A stand-in smart component: a plug-in module registering an ``echo_bot`` answer (R-EN-12)."""

from __future__ import annotations

from libs.common.wechat import TextReply
from services.engine.registry import AnswerContext, AnswerRegistry, AnswerRequest


async def echo_bot(_ctx: AnswerContext, request: AnswerRequest) -> TextReply:
    """Answer with what the user said, reversed — proof that the plug-in ran."""
    return TextReply(content=f"bot: {request.argument[::-1]}")


def register(registry: AnswerRegistry) -> None:
    """Plug-in entry point."""
    registry.add("echo_bot", echo_bot)
