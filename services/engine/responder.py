"""Which answer a message gets: text → command, menu key → its binding, location → nearby places."""

from __future__ import annotations

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


class Responder:
    """Turns one typed message into a reply (or ``None``: answer ``success``)."""

    def __init__(
        self, registry: AnswerRegistry, context: AnswerContext, *, fallback_answer: str = "help"
    ) -> None:
        self._registry = registry
        self._context = context
        self._fallback = fallback_answer

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
            return self._fallback, text, {}
        if isinstance(message, ClickEvent | ScanCodePushEvent | PicSysPhotoEvent):
            binding = account.menu.get(message.key)
            return (binding.handler, "", binding.params) if binding else ("", "", {})
        if isinstance(message, LocationSelectEvent):
            binding = account.menu.get(message.key)
            return "nearest_locations", "", binding.params if binding else {}
        if isinstance(message, LocationMessage | LocationEvent):
            return "nearest_locations", "", {}
        if isinstance(message, SubscribeEvent):
            return "welcome", "", {}
        return "", "", {}
