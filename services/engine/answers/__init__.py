"""Built-in answers; :func:`default_registry` registers them all."""

from __future__ import annotations

from services.engine.answers import help, locations, market_data, personal, texts
from services.engine.registry import AnswerRegistry


def default_registry() -> AnswerRegistry:
    """A registry holding every built-in answer."""
    registry = AnswerRegistry()
    for module in (help, locations, market_data, personal, texts):
        module.register(registry)
    return registry
