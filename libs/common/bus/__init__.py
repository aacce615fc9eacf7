"""The message bus: one small interface, an AMQP and an in-memory implementation, the topology."""

from __future__ import annotations

from libs.common.bus._amqp.bus import AmqpBus, QueueType
from libs.common.bus._base import Bus
from libs.common.bus._delivery import Delivery, Handler, Subscription
from libs.common.bus._memory.bus import MemoryBus
from libs.common.bus._message import (
    BusError,
    Message,
    Reject,
    RequestNotSent,
    RequestTimeout,
    Retry,
    Unroutable,
)
from libs.common.bus.topology import (
    CS_PUSH,
    DEAD,
    DISPATCHER_ALERT,
    DISPATCHER_BULK,
    DLX,
    ENGINE_INBOUND,
    EVENTS,
    INBOUND,
    MAX_PRIORITY,
    OUTBOUND,
    STATS_EVENTS,
    Exchange,
    Queue,
    Topology,
    default_topology,
)
from libs.common.bus.typed_consumer import typed_handler
from libs.common.settings import CommonSettings

__all__ = [
    "CS_PUSH",
    "DEAD",
    "DISPATCHER_ALERT",
    "DISPATCHER_BULK",
    "DLX",
    "ENGINE_INBOUND",
    "EVENTS",
    "INBOUND",
    "MAX_PRIORITY",
    "OUTBOUND",
    "STATS_EVENTS",
    "AmqpBus",
    "Bus",
    "BusError",
    "Delivery",
    "Exchange",
    "Handler",
    "MemoryBus",
    "Message",
    "Queue",
    "QueueType",
    "Reject",
    "RequestNotSent",
    "RequestTimeout",
    "Retry",
    "Subscription",
    "Topology",
    "Unroutable",
    "default_topology",
    "make_bus",
    "typed_handler",
]


def make_bus(settings: CommonSettings) -> Bus:
    """AmqpBus when the settings carry ``amqp_url``, otherwise an in-process MemoryBus."""
    namespace = settings.bus_namespace
    if settings.amqp_url:
        return AmqpBus(
            settings.amqp_url,
            namespace=namespace,
            queue_type=settings.amqp_queue_type,
            prefetch=settings.amqp_prefetch,
            connection_name=settings.instance_id or None,
        )
    return MemoryBus(namespace, prefetch=settings.amqp_prefetch)
