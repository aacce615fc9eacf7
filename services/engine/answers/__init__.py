"""Built-in answers; :func:`default_registry` registers them all."""

from __future__ import annotations

from libs.common.answer_names import BUILTIN_ANSWERS
from services.engine.answers import (
    help,
    locations,
    market_data,
    materials,
    personal,
    prospects,
    texts,
    transfers,
)
from services.engine.registry import AnswerRegistry


class BuiltinsOutOfStep(RuntimeError):
    """The built-in answers differ from ``libs.common.answer_names.BUILTIN_ANSWERS``."""


def default_registry() -> AnswerRegistry:
    """A registry holding every built-in answer (exactly the names the admin API accepts)."""
    registry = AnswerRegistry()
    for module in (help, locations, market_data, materials, personal, prospects, texts, transfers):
        module.register(registry)
    registered = set(registry.names())
    if registered != BUILTIN_ANSWERS:
        # The admin API would refuse a command naming a new answer, or accept a dead one.
        raise BuiltinsOutOfStep(
            f"unlisted: {sorted(registered - BUILTIN_ANSWERS)}, "
            f"missing: {sorted(BUILTIN_ANSWERS - registered)}"
        )
    return registry
