"""Answer plug-ins register without touching the engine (R-EN-12)."""

from __future__ import annotations

import sys
import types

import pytest

from libs.common.answer_names import BUILTIN_ANSWERS
from libs.common.wechat import TextReply
from services.engine.answers import default_registry
from services.engine.registry import AnswerRegistry, UnknownAnswer


def test_builtin_answers_are_registered() -> None:
    names = default_registry().names()
    for expected in (
        "help",
        "fund_nav",
        "fx_rates",
        "gold_price",
        "money_fund_yields",
        "deposit_loan_rates",
        "promotions",
        "nearest_locations",
        "welcome",
        "text",
    ):
        assert expected in names


def test_builtin_answers_are_exactly_the_list_the_admin_api_accepts() -> None:
    assert set(default_registry().names()) == BUILTIN_ANSWERS


def test_plugin_module_registers_an_answer() -> None:
    module = types.ModuleType("wxhub_test_chatbot")

    async def chatbot(_ctx, request):
        return TextReply(content=f"bot: {request.argument}")

    def register(registry: AnswerRegistry) -> None:
        registry.add("chatbot", chatbot)

    module.register = register  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    try:
        registry = default_registry()
        registry.load_plugins([module.__name__])
        assert registry.get("chatbot") is chatbot
    finally:
        del sys.modules[module.__name__]


def test_unknown_answer() -> None:
    with pytest.raises(UnknownAnswer):
        default_registry().get("nope")
