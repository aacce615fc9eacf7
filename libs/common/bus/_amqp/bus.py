"""AmqpBus: the bus contract over RabbitMQ with aio-pika (robust connection, publisher confirms)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Literal, cast

import aio_pika
from aio_pika.abc import AbstractRobustChannel, AbstractRobustConnection
from aiormq.abc import DeliveredMessage
from aiormq.channel import Channel
from aiormq.exceptions import DeliveryError, PublishError
from pamqp.commands import Basic
from yarl import URL

from libs.common.bus._amqp.connection import BROKER_ERRORS, CorkedTcpTransportFactory
from libs.common.bus._amqp.declaring import (
    declare_topology,
    declare_transient,
    delete_topology,
    ensure_exchange,
)
from libs.common.bus._amqp.replies import DirectReplies
from libs.common.bus._amqp.subscription import AmqpSubscription
from libs.common.bus._delivery import Handler, Subscription
from libs.common.bus._message import BusError, Message, Unroutable
from libs.common.bus.topology import Queue, Topology

log = logging.getLogger("libs.common.bus")

QueueType = Literal["quorum", "classic"]


class AmqpBus(DirectReplies):
    """The bus over RabbitMQ.

    One robust connection; one publisher-confirm channel for publishing (concurrent publishes
    pipeline on it) which also carries the private reply queue; one channel per subscription,
    with its prefetch. Messages are persistent, queues durable (``queue_type``), every queue
    dead-letters to ``wx.dlx``. Publishing waits at most ``publish_timeout`` s (reconnecting
    included) and then raises :class:`BusError`. Consumers take messages straight from aiormq and
    hold their acks ``ack_delay_s`` to send them as one frame; frames written in one loop turn
    leave in one write (``libs/common/corking.py``).
    """

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "",
        queue_type: QueueType = "quorum",
        prefetch: int = 256,
        publish_timeout: float = 10.0,
        connection_name: str | None = None,
        ack_delay_s: float = 0.005,
    ) -> None:
        super().__init__(namespace)
        self._url = url
        # How long a consumer's acks are held to go out as one frame (see acks.Acker).
        self.ack_delay_s = ack_delay_s
        # Shown by the broker (management UI, rabbitmqctl) so operators can tell connections apart.
        self.connection_name = connection_name or f"wxhub-{namespace or 'bus'}-{os.getpid()}"

        self._queue_type = queue_type
        self._default_prefetch = prefetch
        self._publish_timeout = publish_timeout
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractRobustChannel | None = None
        # logical name -> broker name, for exchanges known to exist.
        self._exchange_names: dict[str, str] = {"": ""}
        # logical name -> spec of the transient queues declared, redeclared by their consumer.
        self._transient: dict[str, Queue] = {}
        self._subscriptions: set[AmqpSubscription] = set()

    async def connect(self) -> None:
        """Connect (idempotent); raises BusError when the broker is unreachable."""
        if self._connection is not None:
            return
        try:
            connection = aio_pika.RobustConnection(
                URL(self._url), client_properties={"connection_name": self.connection_name}
            )
            if connection.url.scheme == "amqp":
                connection.kwargs["transport_factory"] = CorkedTcpTransportFactory()
            await connection.connect()
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            reply_channel = await connection.channel(publisher_confirms=False)
        except (*BROKER_ERRORS, OSError) as exc:
            raise BusError(f"cannot connect to the broker: {exc}") from exc
        self._connection = connection
        self._channel = channel
        self._reply_channel = reply_channel

    async def close(self) -> None:
        """Cancel subscriptions, fail waiting requests, close the connection."""
        for subscription in list(self._subscriptions):
            await subscription.cancel()
        self._fail_pending()
        connection, self._connection, self._channel = self._connection, None, None
        self._reply_channel = None
        self._reply_queue = None
        self._exchange_names = {"": ""}
        if connection is not None:
            with contextlib.suppress(*BROKER_ERRORS):
                await connection.close()

    async def ping(self) -> bool:
        """True when connected and the publishing channel is open."""
        return (
            self._connection is not None
            and self._connection.connected.is_set()
            and self._channel is not None
            and not self._channel.is_closed
        )

    async def declare(self, topology: Topology) -> None:
        """Declare durable exchanges and queues (dead-lettering to wx.dlx) and their bindings."""
        await declare_topology(self._require_connection(), topology, self.qualify, self._queue_type)
        for spec in topology.queues:
            if spec.transient:
                self._transient[spec.name] = spec
        for exchange in topology.exchanges:
            self._exchange_names[exchange.name] = self.qualify(exchange.name)

    async def delete(self, topology: Topology) -> None:
        """Delete the topology's queues (with their messages) and exchanges."""
        connection = self._require_connection()
        for exchange in topology.exchanges:
            self._exchange_names.pop(exchange.name, None)
        await delete_topology(connection, topology, self.qualify)

    async def _publish(self, message: Message, *, persistent: bool) -> None:
        """Publish (mandatory) and wait for the confirm; raises Unroutable or BusError."""
        exchange, routing_key = message.exchange, message.routing_key
        name = self._exchange_names.get(exchange)
        if name is None:
            name = await self._known_exchange(exchange)
        channel = self._channel
        if channel is None:
            raise BusError("bus is not connected")
        properties = Basic.Properties(
            delivery_mode=2 if persistent else 1,
            priority=message.priority or None,
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            reply_to=message.reply_to,
            headers=dict(message.headers) if message.headers else None,
        )
        try:
            async with asyncio.timeout(self._publish_timeout):
                underlay = cast(Channel, await channel.get_underlay_channel())
                await underlay.basic_publish(
                    message.body,
                    exchange=name,
                    routing_key=routing_key,
                    properties=properties,
                    mandatory=True,
                    # Still waits for the broker's confirm, which says the frame left; waiting for
                    # aiormq's writer task as well cost a task switch per message.
                    wait=False,
                )
        except PublishError as exc:
            raise Unroutable(f"no queue bound for {exchange or '(default)'}/{routing_key}") from exc
        except DeliveryError as exc:
            raise BusError(f"broker refused the message for {exchange}/{routing_key}") from exc
        except TimeoutError as exc:
            raise BusError(f"no publish confirm within {self._publish_timeout}s") from exc
        except BROKER_ERRORS as exc:
            raise BusError(f"publish to {exchange}/{routing_key} failed: {exc}") from exc

    async def consume(
        self, queue: str, handler: Handler, *, prefetch: int | None = None
    ) -> Subscription:
        """Consume ``queue`` on a channel of its own with ``prefetch`` (manual acks)."""
        connection = self._require_connection()
        try:
            channel: AbstractRobustChannel = await connection.channel()
        except BROKER_ERRORS as exc:
            raise BusError(f"cannot consume {queue}: {exc}") from exc
        try:
            await channel.set_qos(prefetch_count=prefetch or self._default_prefetch)
            transient = self._transient.get(queue)
            if transient is not None:
                # A transient queue dies with the broker: declared (and bound) on the robust
                # channel, it is declared again when the channel reopens after a restart.
                amqp_queue = await declare_transient(channel, transient, self.qualify)
            else:
                amqp_queue = await channel.get_queue(self.qualify(queue), ensure=True)
        except BROKER_ERRORS as exc:
            # A robust channel would reopen itself after the broker closed it; close it for good.
            with contextlib.suppress(*BROKER_ERRORS):
                await channel.close()
            raise BusError(f"cannot consume {queue}: {exc}") from exc
        subscription = AmqpSubscription(
            channel,
            amqp_queue.name,
            handler,
            ack_delay_s=self.ack_delay_s,
            to_message=self._to_message,
            forget=self.forget,
        )
        try:
            await subscription.start()
        except BROKER_ERRORS as exc:
            with contextlib.suppress(*BROKER_ERRORS):
                await channel.close()
            raise BusError(f"cannot consume {queue}: {exc}") from exc
        channel.reopen_callbacks.add(subscription._on_reopen)
        self._subscriptions.add(subscription)
        return subscription

    def forget(self, subscription: AmqpSubscription) -> None:
        """Drop a cancelled subscription from the ones ``close()`` cancels."""
        self._subscriptions.discard(subscription)

    async def _known_exchange(self, exchange: str) -> str:
        """Check once, on a throwaway channel, that an exchange this bus did not declare exists."""
        name = self.qualify(exchange)
        await ensure_exchange(self._require_connection(), exchange, name)
        self._exchange_names[exchange] = name
        return name

    def _require_connection(self) -> AbstractRobustConnection:
        if self._connection is None:
            raise BusError("bus is not connected")
        return self._connection

    def _to_message(self, incoming: DeliveredMessage) -> Message:
        properties = incoming.header.properties
        return Message(
            body=incoming.body,
            exchange=self.logical(incoming.exchange or ""),
            routing_key=incoming.routing_key or "",
            message_id=properties.message_id,
            correlation_id=properties.correlation_id,
            reply_to=properties.reply_to,
            headers=properties.headers or {},
            priority=properties.priority or 0,
            redelivered=bool(incoming.redelivered),
        )
