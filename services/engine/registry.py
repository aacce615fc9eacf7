"""The answer registry: named handlers that turn a user's request into a reply (R-EN-12).

Commands, menu keys and events name an answer (``fund_nav``, ``nearest_locations``…); the engine
looks it up here. A plug-in (a chatbot, speech-to-text, image recognition) registers more answers
without touching the engine::

    def register(registry: AnswerRegistry) -> None:
        registry.add("chatbot", my_chatbot_answer)

and is enabled with ``WXHUB_PLUGINS='["mypackage.chatbot:register"]'``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from libs.common.answer_names import load_plugins

if TYPE_CHECKING:
    from libs.common.wechat import InboundMessage, Reply
    from services.engine.config import AccountConfig
    from services.engine.core_system import CoreSystem
    from services.engine.locations import LocationFinder
    from services.engine.media_replies import MediaReplies
    from services.engine.personal import CustomerDirectory, PageLinks


@dataclass(frozen=True, slots=True)
class AnswerRequest:
    """One request for an answer: the message, the command's argument and its configured params."""

    message: InboundMessage
    account: AccountConfig
    argument: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def is_user_message(self) -> bool:
        """A reply to a user message carries one news article (docs/wechat-protocol.md §7.1)."""
        return self.message.msg_type != "event"


@dataclass(frozen=True, slots=True)
class AnswerContext:
    """What answers may use: the core-system adapter, location search, bindings, page links,
    the material library."""

    core: CoreSystem
    locations: LocationFinder
    customers: CustomerDirectory
    links: PageLinks
    # (word, description) of commands built into the engine rather than configured, for "help".
    builtin_help: tuple[tuple[str, str], ...] = ()
    # Replies from the material library, uploading media to WeChat as needed.
    media: MediaReplies | None = None


Answer = Callable[[AnswerContext, AnswerRequest], Awaitable["Reply | None"]]


class UnknownAnswer(LookupError):
    """A command or menu key names an answer nobody registered."""


class AnswerRegistry:
    """Answer name → coroutine function."""

    def __init__(self) -> None:
        self._answers: dict[str, Answer] = {}

    def add(self, name: str, answer: Answer) -> None:
        """Register (or replace) an answer."""
        self._answers[name] = answer

    def register(self, name: str) -> Callable[[Answer], Answer]:
        """Decorator form of :meth:`add`."""

        def decorate(answer: Answer) -> Answer:
            self.add(name, answer)
            return answer

        return decorate

    def get(self, name: str) -> Answer:
        """The answer called ``name``; raises :class:`UnknownAnswer`."""
        try:
            return self._answers[name]
        except KeyError:
            raise UnknownAnswer(name) from None

    def names(self) -> list[str]:
        """Every registered answer name, sorted."""
        return sorted(self._answers)

    def load_plugins(self, specs: Iterable[str]) -> None:
        """Import each plug-in (``module`` or ``module:function``) and let it register answers."""
        load_plugins(specs, self)
