"""Topology work on a throwaway channel: declare, delete, check an exchange (not per message)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from aio_pika.abc import AbstractQueue, AbstractRobustChannel, AbstractRobustConnection

from libs.common.bus._amqp.connection import BROKER_ERRORS
from libs.common.bus._message import BusError
from libs.common.bus.topology import DLX, TRANSIENT_EXPIRES_MS, Queue, Topology


async def declare_topology(
    connection: AbstractRobustConnection,
    topology: Topology,
    qualify: Callable[[str], str],
    queue_type: str,
) -> None:
    """Declare durable exchanges and queues (dead-lettering to wx.dlx) and their bindings.

    Durable queues are of ``queue_type``; transient ones are classic and expire unused.
    """
    try:
        channel = await connection.channel()
        try:
            for exchange in topology.exchanges:
                await channel.declare_exchange(qualify(exchange.name), exchange.kind, durable=True)
            for spec in topology.queues:
                if spec.transient:
                    await declare_transient(channel, spec, qualify)
                    continue
                arguments: dict[str, Any] = {"x-queue-type": queue_type}
                if spec.dead_letter:
                    arguments["x-dead-letter-exchange"] = qualify(DLX)
                if spec.max_priority and queue_type == "classic":
                    arguments["x-max-priority"] = spec.max_priority
                queue = await channel.declare_queue(
                    qualify(spec.name), durable=True, arguments=arguments
                )
                for exchange_name, key in spec.bindings:
                    await queue.bind(qualify(exchange_name), key)
        finally:
            with contextlib.suppress(*BROKER_ERRORS):
                await channel.close()
    except BROKER_ERRORS as exc:
        raise BusError(f"cannot declare the topology: {exc}") from exc


async def declare_transient(
    channel: AbstractRobustChannel, spec: Queue, qualify: Callable[[str], str]
) -> AbstractQueue:
    """Declare (and bind) a transient queue: classic, not durable, expiring when unused."""
    queue = await channel.declare_queue(
        qualify(spec.name),
        durable=False,
        arguments={"x-queue-type": "classic", "x-expires": TRANSIENT_EXPIRES_MS},
    )
    for exchange_name, key in spec.bindings:
        await queue.bind(qualify(exchange_name), key)
    return queue


async def delete_topology(
    connection: AbstractRobustConnection, topology: Topology, qualify: Callable[[str], str]
) -> None:
    """Delete the topology's queues (with their messages) and exchanges."""
    try:
        channel = await connection.channel()
        try:
            for queue in topology.queues:
                await channel.queue_delete(qualify(queue.name))
            for exchange in topology.exchanges:
                await channel.exchange_delete(qualify(exchange.name))
        finally:
            with contextlib.suppress(*BROKER_ERRORS):
                await channel.close()
    except BROKER_ERRORS as exc:
        raise BusError(f"cannot delete the topology: {exc}") from exc


async def ensure_exchange(connection: AbstractRobustConnection, exchange: str, name: str) -> None:
    """Raise BusError unless the broker has the exchange ``name`` (logically ``exchange``)."""
    try:
        channel = await connection.channel()
        try:
            await channel.get_exchange(name, ensure=True)
        finally:
            with contextlib.suppress(*BROKER_ERRORS):
                await channel.close()
    except BROKER_ERRORS as exc:
        raise BusError(f"no exchange {exchange}: {exc}") from exc
