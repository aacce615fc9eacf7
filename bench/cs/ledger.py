"""What was sent and when it arrived, both ways; the quantiles of the latencies."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Ledger:
    """What was sent and when it arrived, by message tag, both ways."""

    # customer → agent: tag → perf_counter() when the callback POST was sent / seen on a socket
    customer_sent: dict[str, float] = field(default_factory=dict)
    customer_seen: dict[str, float] = field(default_factory=dict)
    customer_errors: Counter[str] = field(default_factory=Counter)
    # agent → WeChat API: tag → time.time() when the REST send started / the sandbox accepted it
    agent_sent: dict[str, float] = field(default_factory=dict)
    agent_seen: dict[str, float] = field(default_factory=dict)
    agent_errors: Counter[str] = field(default_factory=Counter)
    # session id → agent id, from the "assigned" pushes
    seats: dict[int, int] = field(default_factory=dict)
    replies: set[asyncio.Task[None]] = field(default_factory=set)
    # console sockets the server closed
    dropped: int = 0

    def customer_latencies_ms(self) -> list[float]:
        return [
            (self.customer_seen[tag] - sent) * 1000
            for tag, sent in self.customer_sent.items()
            if tag in self.customer_seen
        ]

    def agent_latencies_ms(self) -> list[float]:
        return [
            (self.agent_seen[tag] - sent) * 1000
            for tag, sent in self.agent_sent.items()
            if tag in self.agent_seen
        ]

    def customer_lost(self) -> int:
        return sum(1 for tag in self.customer_sent if tag not in self.customer_seen)

    def agent_lost(self) -> int:
        return sum(1 for tag in self.agent_sent if tag not in self.agent_seen)
