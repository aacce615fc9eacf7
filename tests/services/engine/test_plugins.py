"""A chatbot plugs in through settings alone and takes over unmatched text (R-EN-12)."""

from __future__ import annotations

from typing import Any


async def test_plugin_answers_unmatched_text_and_commands_still_win(make_stack: Any) -> None:
    stack = await make_stack(
        plugins=["tests.services.engine.echo_bot_plugin"], fallback_answer="echo_bot"
    )
    unmatched = await stack.post(stack.pusher.text("oBot", "你好呀", msg_id=9_100_000_001))
    assert stack.reply_fields(unmatched)["Content"] == "bot: 呀好你"
    command = await stack.post(stack.pusher.text("oBot", "黄金", msg_id=9_100_000_002))
    assert "黄金行情" in stack.reply_fields(command)["Content"]
