"""Exchange-kind routing: which bindings a routing key matches (topic wildcards ``*`` and ``#``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

ExchangeKind = Literal["topic", "fanout", "direct"]


@lru_cache(maxsize=8192)
def topic_matches(pattern: str, routing_key: str) -> bool:
    """Whether ``routing_key`` matches a topic binding ``pattern`` as RabbitMQ matches it.

    Words are separated by dots; ``*`` stands for exactly one word and ``#`` for zero or more.
    """
    words = routing_key.split(".")
    parts = pattern.split(".")
    n, m = len(parts), len(words)
    # after[j] is True when parts[i:] matches words[j:]; built from the last pattern word back.
    after = [False] * m + [True]
    for i in range(n - 1, -1, -1):
        part = parts[i]
        current = [False] * (m + 1)
        for j in range(m, -1, -1):
            if part == "#":
                current[j] = after[j] or (j < m and current[j + 1])
            elif j < m and (part == "*" or part == words[j]):
                current[j] = after[j + 1]
        after = current
    return after[0]


def binding_matches(kind: ExchangeKind, binding_key: str, routing_key: str) -> bool:
    """Whether a message with ``routing_key`` follows a binding on an exchange of ``kind``."""
    if kind == "fanout":
        return True
    if kind == "direct":
        return binding_key == routing_key
    return topic_matches(binding_key, routing_key)
