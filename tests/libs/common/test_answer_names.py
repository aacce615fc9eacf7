"""The answer names shared by the engine and the admin API, plug-ins included."""

from __future__ import annotations

import sys
import types
from typing import Any

from libs.common.answer_names import BUILTIN_ANSWERS, AnswerNames, known_answers


def test_without_plugins_the_builtins_are_known() -> None:
    assert known_answers() == BUILTIN_ANSWERS
    assert {"fund_nav", "balance", "subscriptions_link"} <= BUILTIN_ANSWERS


def test_plugins_add_the_names_they_register_either_way() -> None:
    module = types.ModuleType("wxhub_test_names_plugin")

    def register(registry: AnswerNames) -> None:
        registry.add("chatbot", object())

        @registry.register("image_tags")
        async def image_tags(*_: Any) -> None:
            return None

    module.register = register  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    try:
        names = known_answers([module.__name__, "tests.services.engine.echo_bot_plugin"])
    finally:
        del sys.modules[module.__name__]
    assert names == BUILTIN_ANSWERS | {"chatbot", "image_tags", "echo_bot"}
