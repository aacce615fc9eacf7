"""A chatbot plugs in through settings alone and takes over unmatched text (R-EN-12)."""

from __future__ import annotations

from typing import Any

import pytest


async def test_plugin_answers_unmatched_text_and_commands_still_win(make_stack: Any) -> None:
    stack = await make_stack(
        plugins=["tests.services.engine.echo_bot_plugin"], fallback_answer="echo_bot"
    )
    unmatched = await stack.post(stack.pusher.text("oBot", "你好呀", msg_id=9_100_000_001))
    assert stack.reply_fields(unmatched)["Content"] == "bot: 呀好你"
    command = await stack.post(stack.pusher.text("oBot", "黄金", msg_id=9_100_000_002))
    assert "黄金行情" in stack.reply_fields(command)["Content"]


MEDIA_PLUGIN = {
    "plugins": ["tests.services.engine.media_plugin"],
    "media_answers": {"image": "image_recognition", "voice": "speech_to_text"},
}


async def test_images_and_voice_reach_the_plugins_named_in_settings(make_stack: Any) -> None:
    stack = await make_stack(**MEDIA_PLUGIN)
    pusher = stack.pusher
    image = await stack.post(
        pusher.message(
            "oPics", "image", PicUrl="http://mmbiz.example/p.jpg", MediaId="IMG1", MsgId=9_100_001
        )
    )
    assert stack.reply_fields(image)["Content"] == "图片识别：IMG1 http://mmbiz.example/p.jpg"

    silent = await stack.post(
        pusher.message("oVoice", "voice", MediaId="VOX1", Format="amr", MsgId=9_100_002)
    )
    assert stack.reply_fields(silent)["Content"] == "语音转写：(amr VOX1)"

    recognised = await stack.post(
        pusher.message(
            "oVoice", "voice", MediaId="VOX2", Format="amr", Recognition="你好", MsgId=9_100_003
        )
    )
    assert stack.reply_fields(recognised)["Content"] == "语音转写：你好"

    # A recognition that is a command still gets the command.
    command = await stack.post(
        pusher.message(
            "oVoice", "voice", MediaId="VOX3", Format="amr", Recognition="黄金", MsgId=9_100_004
        )
    )
    assert "黄金行情" in stack.reply_fields(command)["Content"]


async def test_without_a_media_plugin_images_get_no_answer(make_stack: Any) -> None:
    stack = await make_stack()
    image = await stack.post(
        stack.pusher.message("oPics", "image", PicUrl="http://x/p.jpg", MediaId="I", MsgId=9_1)
    )
    assert image.content == b"success"


async def test_a_media_route_to_an_unregistered_answer_refuses_to_start(make_stack: Any) -> None:
    with pytest.raises(ValueError, match="image_recognition"):
        await make_stack(media_answers={"image": "image_recognition"})
    with pytest.raises(ValueError, match="sticker"):
        await make_stack(**{**MEDIA_PLUGIN, "media_answers": {"sticker": "speech_to_text"}})
