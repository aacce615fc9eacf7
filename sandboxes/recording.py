"""The sandboxes' memory of what they were asked: a bounded call log plus unbounded counters."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Call:
    """One request a sandbox answered, with the outcome it gave."""

    at: float
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    outcome: str
    errcode: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The call as a JSON object."""
        return {
            "at": self.at,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "body": self.body,
            "status": self.status,
            "outcome": self.outcome,
            "errcode": self.errcode,
        }


class CallLog:
    """Keeps the last ``size`` calls and counts every call per path and outcome."""

    def __init__(self, size: int = 10_000) -> None:
        self._calls: deque[Call] = deque(maxlen=size)
        self.counts: Counter[tuple[str, str]] = Counter()

    def __len__(self) -> int:
        return len(self._calls)

    def __iter__(self) -> Iterator[Call]:
        return iter(self._calls)

    def add(self, call: Call) -> None:
        """Remember ``call``."""
        self._calls.append(call)
        self.counts[call.path, call.outcome] += 1

    def find(self, path: str | None = None) -> list[Call]:
        """The remembered calls, oldest first, optionally only those to ``path``."""
        return [c for c in self._calls if path is None or c.path == path]

    def clear(self) -> None:
        """Forget the calls and reset the counters."""
        self._calls.clear()
        self.counts.clear()

    def counts_json(self) -> dict[str, dict[str, int]]:
        """Counters as ``{path: {outcome: n}}``."""
        result: dict[str, dict[str, int]] = {}
        for (path, outcome), n in self.counts.items():
            result.setdefault(path, {})[outcome] = n
        return result
