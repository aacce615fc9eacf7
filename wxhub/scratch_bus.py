"""Scratch bus namespaces for end-to-end tests and benchmarks, deleted with every queue in them.

Quorum queues outlive their consumers, so a namespace left behind keeps its queues (and their Raft
processes) on the broker for good; a shared broker collecting them from every run slows down and
once stopped answering. Deleting the default topology is not enough: the dispatcher declares
queues of its own (``dispatcher.reports``, ``dispatcher.interactions``).
"""

from __future__ import annotations

from libs.common.bus import AmqpBus, Queue, Topology, default_topology
from services.dispatcher.delivery_reports import reports_topology
from services.dispatcher.handlers import interactions_topology


def platform_queues() -> Topology:
    """Every queue the services declare (no exchanges: ``default_topology`` holds those)."""
    own = [*reports_topology().queues, *interactions_topology().queues]
    return Topology(queues=[Queue(queue.name) for queue in own])


async def delete_topologies(bus: AmqpBus, *extra_queues: str) -> None:
    """Delete, in ``bus``'s namespace, the platform's queues and exchanges and ``extra_queues``."""
    await bus.delete(default_topology())
    await bus.delete(platform_queues())
    if extra_queues:
        await bus.delete(Topology(queues=[Queue(name) for name in extra_queues]))


async def delete_namespace(amqp_url: str, namespace: str, *extra_queues: str) -> None:
    """Connect to ``namespace`` and delete what :func:`delete_topologies` deletes."""
    bus = AmqpBus(amqp_url, namespace=namespace)
    await bus.connect()
    try:
        await delete_topologies(bus, *extra_queues)
    finally:
        await bus.close()
