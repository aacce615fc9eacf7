"""A stand-in image-recognition and speech-to-text plug-in (R-EN-12), enabled by settings only."""

from __future__ import annotations

from libs.common.wechat import ImageMessage, TextReply, VoiceMessage
from services.engine.registry import AnswerContext, AnswerRegistry, AnswerRequest


async def recognise_image(_ctx: AnswerContext, request: AnswerRequest) -> TextReply | None:
    """Say which picture arrived — proof that the image reached the plug-in."""
    message = request.message
    if not isinstance(message, ImageMessage):
        return None
    return TextReply(content=f"图片识别：{message.media_id} {message.pic_url}")


async def speech_to_text(_ctx: AnswerContext, request: AnswerRequest) -> TextReply | None:
    """WeChat's recognition when there is one, else the plug-in's own (here: the media id)."""
    message = request.message
    if not isinstance(message, VoiceMessage):
        return None
    heard = message.recognition or f"({message.format} {message.media_id})"
    return TextReply(content=f"语音转写：{heard}")


def register(registry: AnswerRegistry) -> None:
    """Plug-in entry point."""
    registry.add("image_recognition", recognise_image)
    registry.add("speech_to_text", speech_to_text)
