"""``help``: what the account understands, built from its enabled commands."""

from __future__ import annotations

from libs.common.wechat import TextReply
from services.engine.registry import AnswerContext, AnswerRegistry, AnswerRequest

DEFAULT_HEADER = "您好！请回复以下指令查询："


async def help_answer(ctx: AnswerContext, request: AnswerRequest) -> TextReply:
    """List the commands marked ``show_in_help`` with their descriptions."""
    account = request.account
    lines = [account.help_header or DEFAULT_HEADER]
    seen: set[str] = set()
    for command in account.commands:
        if not command.show_in_help or command.name in seen:
            continue
        seen.add(command.name)
        example = command.params.get("example") or (command.alternatives or ("",))[0]
        lines.append(f"· {example}：{command.description or command.name}")
    configured = {command.name for command in account.commands} | {
        alternative for command in account.commands for alternative in command.alternatives
    }
    for word, description in ctx.builtin_help:
        if word not in configured:
            lines.append(f"· {word}：{description}")
    return TextReply(content="\n".join(lines))


def register(registry: AnswerRegistry) -> None:
    """Register this module's answers."""
    registry.add("help", help_answer)
