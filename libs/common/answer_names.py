"""The names commands and menu actions may give as their handler: the engine's answers (R-EN-12).

One list for the engine and the admin API: the engine registers exactly :data:`BUILTIN_ANSWERS`
(it refuses to start otherwise, ``services/engine/answers/__init__.py``), and the admin API
refuses a command or menu action naming anything else with 422. Plug-ins
(``WXHUB_PLUGINS``) add names: both services load them through :func:`load_plugins`, the admin
API into an :class:`AnswerNames` that only notes what each plug-in registers.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any, Protocol

BUILTIN_ANSWERS: frozenset[str] = frozenset(
    {
        # Public information (R-EN-1..3) and the account's own texts.
        "help",
        "text",
        "welcome",
        "fund_nav",
        "wealth_nav",
        "money_fund_yields",
        "deposit_loan_rates",
        "fx_rates",
        "gold_price",
        "promotions",
        "nearest_locations",
        # Any reply type from the material library (R-EN-12).
        "material",
        # Personal services (R-EN-4..6).
        "bind_link",
        "unbind_link",
        "subscriptions_link",
        "phone_link",
        "balance",
        "transactions",
        "opening_branch",
        "holdings",
        "opened_agreements",
        "cancelled_agreements",
        # Transactions are links into mobile banking, never performed in chat (R-EN-9).
        "transfer_link",
        # Prospects (R-EN-8): the application page and the application's progress.
        "apply_link",
        "application_progress",
    }
)


class AnswerSink(Protocol):
    """What a plug-in's ``register(registry)`` may call."""

    def add(self, name: str, answer: Any) -> None:
        """Register ``answer`` as ``name``."""


class AnswerNames:
    """A registry that keeps only the names (for validating configuration, not answering)."""

    def __init__(self, names: Iterable[str] = BUILTIN_ANSWERS) -> None:
        self._names = set(names)

    def add(self, name: str, answer: Any) -> None:
        """Note ``name``; the answer itself is not kept."""
        self._names.add(name)

    def register(self, name: str) -> Callable[[Any], Any]:
        """Decorator form of :meth:`add`, as the engine's registry offers it."""

        def decorate(answer: Any) -> Any:
            self.add(name, answer)
            return answer

        return decorate

    def names(self) -> frozenset[str]:
        """Every name noted."""
        return frozenset(self._names)


def load_plugins(specs: Iterable[str], registry: AnswerSink) -> None:
    """Import each plug-in (``module`` or ``module:function``) and let it register answers."""
    for spec in specs:
        module_name, _, func_name = spec.partition(":")
        module = importlib.import_module(module_name)
        register = getattr(module, func_name or "register")
        register(registry)


def known_answers(plugins: Iterable[str] = ()) -> frozenset[str]:
    """The built-in answer names and those the plug-ins register."""
    names = AnswerNames()
    load_plugins(plugins, names)
    return names.names()
