"""Matching a user's text against the configured commands (exact, prefix + argument, regex)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

_KIND_ORDER = {"exact": 0, "prefix": 1, "regex": 2}
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class CompiledCommand:
    """A command ready for matching; ``alternatives`` are lower-cased for exact/prefix kinds."""

    name: str
    kind: str
    alternatives: tuple[str, ...]
    handler: str
    params: dict[str, Any] = field(default_factory=dict)
    priority: int = 0
    description: str = ""
    show_in_help: bool = True
    regex: re.Pattern[str] | None = None

    @classmethod
    def compile(
        cls,
        *,
        name: str,
        kind: str,
        pattern: str,
        handler: str,
        params: dict[str, Any] | None = None,
        priority: int = 0,
        description: str = "",
        show_in_help: bool = True,
    ) -> CompiledCommand:
        """Build from a configured row; raises ``ValueError`` for an unknown kind or bad regex."""
        if kind not in _KIND_ORDER:
            raise ValueError(f"unknown match kind {kind!r}")
        try:
            regex = re.compile(pattern, re.IGNORECASE) if kind == "regex" else None
        except re.error as exc:
            raise ValueError(f"invalid regex {pattern!r}: {exc}") from exc
        alternatives = (
            ()
            if regex is not None
            else tuple(normalize(p).lower() for p in pattern.split("|") if p.strip())
        )
        return cls(
            name=name,
            kind=kind,
            alternatives=alternatives,
            handler=handler,
            params=params or {},
            priority=priority,
            description=description,
            show_in_help=show_in_help,
            regex=regex,
        )

    def match(self, text: str) -> str | None:
        """The argument if ``text`` (already normalized) matches, else ``None``."""
        if self.regex is not None:
            found = self.regex.fullmatch(text)
            if found is None:
                return None
            if "arg" in found.groupdict():
                return (found.group("arg") or "").strip()
            return (found.group(1) or "").strip() if found.re.groups else ""
        if self.kind == "exact":
            return "" if text.lower() in self.alternatives else None
        lowered = text.lower()
        for alternative in self.alternatives:
            if lowered.startswith(alternative):
                return text[len(alternative) :].strip()
        return None


def normalize(text: str) -> str:
    """Trim, turn full-width spaces into spaces and collapse runs of whitespace."""
    return _SPACES.sub(" ", text.replace("\u3000", " ")).strip()


def sort_commands(commands: Iterable[CompiledCommand]) -> list[CompiledCommand]:
    """Highest priority first; at equal priority exact before prefix before regex, longest first."""
    return sorted(
        commands,
        key=lambda c: (
            -c.priority,
            _KIND_ORDER[c.kind],
            -max((len(a) for a in c.alternatives), default=0),
        ),
    )


def find_command(
    commands: Sequence[CompiledCommand], text: str
) -> tuple[CompiledCommand, str] | None:
    """The first command (in :func:`sort_commands` order) matching ``text``, with its argument."""
    normalized = normalize(text)
    for command in commands:
        argument = command.match(normalized)
        if argument is not None:
            return command, argument
    return None
