"""Exchanges and queues of the wxhub bus: the docs/architecture.md contract as data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from libs.common.bus._routing import ExchangeKind

INBOUND = "wx.inbound"
OUTBOUND = "wx.outbound"
EVENTS = "wx.events"
# Pushes to customer-service consoles: every admin_api replica binds a transient queue of its own.
CS_PUSH = "wx.cs"
DLX = "wx.dlx"

ENGINE_INBOUND = "engine.inbound"
DISPATCHER_ALERT = "dispatcher.alert"
DISPATCHER_BULK = "dispatcher.bulk"
STATS_EVENTS = "stats.events"
DEAD = "wx.dead"

# A transient queue left without consumers this long is deleted by the broker.
TRANSIENT_EXPIRES_MS = 60_000

# Highest message priority the dispatcher queues honour (classic queues and the memory bus).
MAX_PRIORITY = 9


@dataclass(frozen=True, slots=True)
class Exchange:
    """A named exchange of a given kind (always durable)."""

    name: str
    kind: ExchangeKind = "topic"


@dataclass(frozen=True, slots=True, init=False)
class Queue:
    """A durable queue, its bindings ``(exchange, binding key)`` and whether it dead-letters.

    ``max_priority`` enables message priorities where the queue type supports them (classic
    queues on RabbitMQ, always on the memory bus); quorum queues ignore it. A ``transient``
    queue belongs to one process (a replica's fan-out copy): classic, not durable, and removed
    by the broker once unused for ``TRANSIENT_EXPIRES_MS``.
    """

    name: str
    bindings: tuple[tuple[str, str], ...]
    dead_letter: bool
    max_priority: int | None
    transient: bool

    def __init__(
        self,
        name: str,
        bindings: Iterable[tuple[str, str]] = (),
        *,
        dead_letter: bool = True,
        max_priority: int | None = None,
        transient: bool = False,
    ) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "transient", transient)
        object.__setattr__(self, "bindings", tuple(bindings))
        object.__setattr__(self, "dead_letter", dead_letter)
        object.__setattr__(self, "max_priority", max_priority)


@dataclass(frozen=True, slots=True, init=False)
class Topology:
    """What a bus declares: exchanges first, then queues and their bindings."""

    exchanges: tuple[Exchange, ...]
    queues: tuple[Queue, ...]

    def __init__(self, exchanges: Iterable[Exchange] = (), queues: Iterable[Queue] = ()) -> None:
        object.__setattr__(self, "exchanges", tuple(exchanges))
        object.__setattr__(self, "queues", tuple(queues))


def default_topology() -> Topology:
    """The wxhub contract: five exchanges, the service queues and the dead-letter queue."""
    return Topology(
        exchanges=(
            Exchange(INBOUND, "topic"),
            Exchange(OUTBOUND, "topic"),
            Exchange(EVENTS, "topic"),
            Exchange(CS_PUSH, "topic"),
            Exchange(DLX, "fanout"),
        ),
        queues=(
            Queue(ENGINE_INBOUND, [(INBOUND, "#")]),
            Queue(DISPATCHER_ALERT, [(OUTBOUND, "alert.*")], max_priority=MAX_PRIORITY),
            Queue(DISPATCHER_BULK, [(OUTBOUND, "bulk.*")], max_priority=MAX_PRIORITY),
            Queue(STATS_EVENTS, [(EVENTS, "#")]),
            Queue(DEAD, [(DLX, "")], dead_letter=False),
        ),
    )
