"""Which answer a message gets: text → command, menu key → its binding, location → nearby places,
image / voice / video → the answer named for that kind in ``WXHUB_MEDIA_ANSWERS`` (a plug-in)."""

from __future__ import annotations

from collections.abc import Mapping

from libs.common.observability.logging import get_logger
from libs.common.wechat import (
    ClickEvent,
    InboundMessage,
    LocationEvent,
    LocationMessage,
    LocationSelectEvent,
    PicSysPhotoEvent,
    Reply,
    ScanCodePushEvent,
    SubscribeEvent,
    TextMessage,
    VoiceMessage,
)
from services.engine.config import AccountConfig
from services.engine.matching import find_command
from services.engine.registry import AnswerContext, AnswerRegistry, AnswerRequest, UnknownAnswer

log = get_logger(__name__)


def _normalise(text: str) -> str:
    return "".join(text.split()).lower()


def _text_of(message: InboundMessage) -> str | None:
    """What the follower wrote: a text, or a voice message's recognition."""
    if isinstance(message, TextMessage):
        return message.content
    if isinstance(message, VoiceMessage) and message.recognition:
        return message.recognition
    return None


class Responder:
    """Turns one typed message into a reply (or ``None``: answer ``success``)."""

    def __init__(
        self,
        registry: AnswerRegistry,
        context: AnswerContext,
        *,
        fallback_answer: str = "help",
        builtin_commands: Mapping[str, str] | None = None,
        builtin_params: Mapping[str, dict[str, object]] | None = None,
        bind_menu_key: str = "",
        media_answers: Mapping[str, str] | None = None,
    ) -> None:
        self._registry = registry
        self._context = context
        self._fallback = fallback_answer
        # Exact words (e.g. "余额") answered when no configured command matches; keys normalised
        # like user text so "余额 " and "余额" are the same word.
        self._builtin = {
            _normalise(word): handler for word, handler in (builtin_commands or {}).items()
        }
        self._builtin_params = dict(builtin_params or {})
        self._bind_menu_key = bind_menu_key
        # Message kind (image, voice, video, shortvideo) → the answer (a plug-in) that gets it.
        self._media = dict(media_answers or {})

    async def respond(
        self, message: InboundMessage, account: AccountConfig
    ) -> tuple[str, Reply | None, str | None]:
        """The answer's name, its reply and the configured command that matched (if one did);
        the name is ``""`` when nothing answers."""
        handler, argument, params, command = self._choose(message, account)
        if not handler:
            return "", None, command
        try:
            answer = self._registry.get(handler)
        except UnknownAnswer:
            log.warning("unknown_answer", account=account.code, answer=handler)
            return handler, None, command
        request = AnswerRequest(message=message, account=account, argument=argument, params=params)
        return handler, await answer(self._context, request), command

    def _choose(
        self, message: InboundMessage, account: AccountConfig
    ) -> tuple[str, str, dict[str, object], str | None]:
        text = _text_of(message)
        if text is not None:
            found = find_command(account.commands, text)
            if found is not None:
                command, argument = found
                return command.handler, argument, command.params, command.name
            builtin = self._builtin.get(_normalise(text))
            if builtin is not None:
                return builtin, "", self._builtin_params.get(builtin, {}), None
            # A recognised voice no command matched goes to the voice plug-in, if there is one.
            media = self._media.get(message.kind) if message.kind != "text" else None
            return media or self._fallback, text, {}, None
        media = self._media.get(message.kind)
        if media:
            return media, "", {}, None
        if isinstance(message, ClickEvent | ScanCodePushEvent | PicSysPhotoEvent):
            binding = account.menu.get(message.key)
            if binding is None and self._bind_menu_key and message.key == self._bind_menu_key:
                return "bind_link", "", {}, None
            if binding is None:
                return "", "", {}, None
            return binding.handler, "", binding.params, None
        if isinstance(message, LocationSelectEvent):
            binding = account.menu.get(message.key)
            return "nearest_locations", "", binding.params if binding else {}, None
        if isinstance(message, LocationMessage | LocationEvent):
            return "nearest_locations", "", {}, None
        if isinstance(message, SubscribeEvent):
            return "welcome", "", {}, None
        return "", "", {}, None
