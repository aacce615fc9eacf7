"""Which answer a message gets: text → command, menu key → its binding, location → nearby places."""

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

    async def respond(
        self, message: InboundMessage, account: AccountConfig
    ) -> tuple[str, Reply | None]:
        """The answer's name and its reply; the name is ``""`` when nothing answers."""
        handler, argument, params = self._choose(message, account)
        if not handler:
            return "", None
        try:
            answer = self._registry.get(handler)
        except UnknownAnswer:
            log.warning("unknown_answer", account=account.code, answer=handler)
            return handler, None
        request = AnswerRequest(message=message, account=account, argument=argument, params=params)
        return handler, await answer(self._context, request)

    def _choose(
        self, message: InboundMessage, account: AccountConfig
    ) -> tuple[str, str, dict[str, object]]:
        text: str | None = None
        if isinstance(message, TextMessage):
            text = message.content
        elif isinstance(message, VoiceMessage) and message.recognition:
            text = message.recognition
        if text is not None:
            found = find_command(account.commands, text)
            if found is not None:
                command, argument = found
                return command.handler, argument, command.params
            builtin = self._builtin.get(_normalise(text))
            if builtin is not None:
                return builtin, "", self._builtin_params.get(builtin, {})
            return self._fallback, text, {}
        if isinstance(message, ClickEvent | ScanCodePushEvent | PicSysPhotoEvent):
            binding = account.menu.get(message.key)
            if binding is None and self._bind_menu_key and message.key == self._bind_menu_key:
                return "bind_link", "", {}
            return (binding.handler, "", binding.params) if binding else ("", "", {})
        if isinstance(message, LocationSelectEvent):
            binding = account.menu.get(message.key)
            return "nearest_locations", "", binding.params if binding else {}
        if isinstance(message, LocationMessage | LocationEvent):
            return "nearest_locations", "", {}
        if isinstance(message, SubscribeEvent):
            return "welcome", "", {}
        return "", "", {}
