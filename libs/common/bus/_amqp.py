"""AmqpBus: the bus contract over RabbitMQ with aio-pika (robust connection, publisher confirms)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any, Literal

import aio_pika
from aio_pika.abc import (
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustConnection,
)
from aiormq.exceptions import AMQPError, ChannelInvalidStateError, DeliveryError, PublishError
from pamqp.commands import Basic

from libs.common.bus._base import (
    Bus,
    BusError,
    Delivery,
    Handler,
    Message,
    Subscription,
    Unroutable,
    deliver,
)
from libs.common.bus.topology import DLX, Topology

log = logging.getLogger("libs.common.bus")

QueueType = Literal["quorum", "classic"]

DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"

# What a broken or closing connection raises; all of it surfaces as BusError.
_BROKER_ERRORS = (AMQPError, ChannelInvalidStateError, ConnectionError)


class _AmqpDelivery(Delivery):
    __slots__ = ("_incoming",)

    def __init__(self, incoming: AbstractIncomingMessage, message: Message) -> None:
        super().__init__(message)
        self._incoming = incoming

    async def _ack(self) -> None:
        try:
            await self._incoming.ack()
        except _BROKER_ERRORS:
            log.warning("ack of %s lost with its channel; it will be redelivered", self.message)

    async def _nack(self, *, requeue: bool) -> None:
        try:
            await self._incoming.nack(requeue=requeue)
        except _BROKER_ERRORS:
            log.warning("nack of %s lost with its channel; it will be redelivered", self.message)


class _AmqpSubscription(Subscription):
    def __init__(self, bus: AmqpBus, channel: AbstractRobustChannel, queue: AbstractQueue) -> None:
        self._bus = bus
        self._channel = channel
        self._queue = queue
        self.tasks: set[asyncio.Task[Any]] = set()
        self.consumer_tag: str | None = None
        self._cancelled = False

    async def cancel(self) -> None:
        """Stop consuming; running handlers are cancelled and unsettled messages requeued."""
        if self._cancelled:
            return
        self._cancelled = True
        self._bus.forget(self)
        if self.consumer_tag is not None:
            with contextlib.suppress(*_BROKER_ERRORS):
                await self._queue.cancel(self.consumer_tag)
        current = asyncio.current_task()
        running = [task for task in self.tasks if task is not current]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        # Closing the channel makes the broker requeue whatever it still holds unacked.
        with contextlib.suppress(*_BROKER_ERRORS):
            await self._channel.close()


class AmqpBus(Bus):
    """The bus over RabbitMQ.

    One robust connection; one publisher-confirm channel for publishing (concurrent publishes
    pipeline on it) which also carries the private reply queue; one channel per subscription,
    with its prefetch. Messages are persistent, queues durable (``queue_type``), every queue
    dead-letters to ``wx.dlx``. Publishing waits at most ``publish_timeout`` s (reconnecting
    included) and then raises :class:`BusError`.
    """

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "",
        queue_type: QueueType = "quorum",
        prefetch: int = 256,
        publish_timeout: float = 10.0,
    ) -> None:
        super().__init__(namespace)
        self._url = url
        self._queue_type = queue_type
        self._default_prefetch = prefetch
        self._publish_timeout = publish_timeout
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractRobustChannel | None = None
        self._reply_channel: AbstractRobustChannel | None = None
        # logical name -> broker name, for exchanges known to exist.
        self._exchange_names: dict[str, str] = {"": ""}
        self._subscriptions: set[_AmqpSubscription] = set()
        self._reply_queue: str | None = None
        self._reply_lock = asyncio.Lock()

    async def connect(self) -> None:
        """Connect (idempotent); raises BusError when the broker is unreachable."""
        if self._connection is not None:
            return
        try:
            connection = await aio_pika.connect_robust(self._url)
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            reply_channel = await connection.channel(publisher_confirms=False)
        except (*_BROKER_ERRORS, OSError) as exc:
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
            with contextlib.suppress(*_BROKER_ERRORS):
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
        connection = self._require_connection()
        try:
            channel = await connection.channel()
            try:
                for exchange in topology.exchanges:
                    await channel.declare_exchange(
                        self.qualify(exchange.name), exchange.kind, durable=True
                    )
                for spec in topology.queues:
                    arguments: dict[str, Any] = {"x-queue-type": self._queue_type}
                    if spec.dead_letter:
                        arguments["x-dead-letter-exchange"] = self.qualify(DLX)
                    if spec.max_priority and self._queue_type == "classic":
                        arguments["x-max-priority"] = spec.max_priority
                    queue = await channel.declare_queue(
                        self.qualify(spec.name), durable=True, arguments=arguments
                    )
                    for exchange_name, key in spec.bindings:
                        await queue.bind(self.qualify(exchange_name), key)
            finally:
                with contextlib.suppress(*_BROKER_ERRORS):
                    await channel.close()
        except _BROKER_ERRORS as exc:
            raise BusError(f"cannot declare the topology: {exc}") from exc
        for exchange in topology.exchanges:
            self._exchange_names[exchange.name] = self.qualify(exchange.name)

    async def delete(self, topology: Topology) -> None:
        """Delete the topology's queues (with their messages) and exchanges."""
        connection = self._require_connection()
        try:
            channel = await connection.channel()
            try:
                for queue in topology.queues:
                    await channel.queue_delete(self.qualify(queue.name))
                for exchange in topology.exchanges:
                    await channel.exchange_delete(self.qualify(exchange.name))
                    self._exchange_names.pop(exchange.name, None)
            finally:
                with contextlib.suppress(*_BROKER_ERRORS):
                    await channel.close()
        except _BROKER_ERRORS as exc:
            raise BusError(f"cannot delete the topology: {exc}") from exc

    async def publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        *,
        message_id: str | None = None,
        correlation_id: str | None = None,
        reply_to: str | None = None,
        headers: Mapping[str, Any] | None = None,
        priority: int = 0,
        persistent: bool = True,
    ) -> None:
        """Publish (mandatory) and wait for the confirm; raises Unroutable or BusError."""
        name = self._exchange_names.get(exchange)
        if name is None:
            name = await self._known_exchange(exchange)
        channel = self._channel
        if channel is None:
            raise BusError("bus is not connected")
        properties = Basic.Properties(
            delivery_mode=2 if persistent else 1,
            priority=priority or None,
            message_id=message_id,
            correlation_id=correlation_id,
            reply_to=reply_to,
            headers=dict(headers) if headers else None,
        )
        try:
            async with asyncio.timeout(self._publish_timeout):
                underlay = await channel.get_underlay_channel()
                await underlay.basic_publish(
                    body,
                    exchange=name,
                    routing_key=routing_key,
                    properties=properties,
                    mandatory=True,
                )
        except PublishError as exc:
            raise Unroutable(f"no queue bound for {exchange or '(default)'}/{routing_key}") from exc
        except DeliveryError as exc:
            raise BusError(f"broker refused the message for {exchange}/{routing_key}") from exc
        except TimeoutError as exc:
            raise BusError(f"no publish confirm within {self._publish_timeout}s") from exc
        except _BROKER_ERRORS as exc:
            raise BusError(f"publish to {exchange}/{routing_key} failed: {exc}") from exc

    async def consume(
        self, queue: str, handler: Handler, *, prefetch: int | None = None
    ) -> Subscription:
        """Consume ``queue`` on a channel of its own with ``prefetch`` (manual acks)."""
        connection = self._require_connection()
        try:
            channel: AbstractRobustChannel = await connection.channel()
        except _BROKER_ERRORS as exc:
            raise BusError(f"cannot consume {queue}: {exc}") from exc
        try:
            await channel.set_qos(prefetch_count=prefetch or self._default_prefetch)
            amqp_queue = await channel.get_queue(self.qualify(queue), ensure=True)
        except _BROKER_ERRORS as exc:
            # A robust channel would reopen itself after the broker closed it; close it for good.
            with contextlib.suppress(*_BROKER_ERRORS):
                await channel.close()
            raise BusError(f"cannot consume {queue}: {exc}") from exc
        subscription = _AmqpSubscription(self, channel, amqp_queue)
        to_message = self._to_message

        async def on_message(incoming: AbstractIncomingMessage) -> None:
            task = asyncio.current_task()
            if task is not None:
                subscription.tasks.add(task)
            try:
                await deliver(handler, _AmqpDelivery(incoming, to_message(incoming)))
            finally:
                subscription.tasks.discard(task)

        try:
            subscription.consumer_tag = await amqp_queue.consume(on_message)
        except _BROKER_ERRORS as exc:
            raise BusError(f"cannot consume {queue}: {exc}") from exc
        self._subscriptions.add(subscription)
        return subscription

    def forget(self, subscription: _AmqpSubscription) -> None:
        """Drop a cancelled subscription from the ones ``close()`` cancels."""
        self._subscriptions.discard(subscription)

    async def _reply_address(self) -> str:
        # RabbitMQ's direct reply-to: no reply queue to create, persist or delete, and replies
        # skip the queue machinery entirely. It must be consumed, without acks, on the channel
        # that publishes the requests — the publishing channel.
        if self._reply_queue is not None:
            return self._reply_queue
        async with self._reply_lock:
            if self._reply_queue is None:
                channel = self._channel
                if channel is None:
                    raise BusError("bus is not connected")
                try:
                    queue = await channel.get_queue(DIRECT_REPLY_TO, ensure=False)
                    await queue.consume(self._on_amqp_reply, no_ack=True)
                except _BROKER_ERRORS as exc:
                    raise BusError(f"cannot consume direct replies: {exc}") from exc
                self._reply_queue = DIRECT_REPLY_TO
            return self._reply_queue

    async def reply(
        self, request: Message, body: bytes, *, headers: Mapping[str, Any] | None = None
    ) -> None:
        """Send ``body`` to the requester, without waiting for a confirm.

        A lost reply costs nothing: the requester's deadline passes and the callback ledger (or
        its equivalent) still holds the answer. Skipping the confirm halves the broker's work.
        """
        if not request.reply_to:
            return
        channel = self._reply_channel
        if channel is None:
            raise BusError("bus is not connected")
        properties = Basic.Properties(
            delivery_mode=1,
            correlation_id=request.correlation_id,
            headers=dict(headers) if headers else None,
        )
        try:
            underlay = await channel.get_underlay_channel()
            await underlay.basic_publish(
                body, exchange="", routing_key=request.reply_to, properties=properties
            )
        except _BROKER_ERRORS as exc:
            log.warning("reply to %s lost: %s", request.reply_to, exc)

    async def _on_amqp_reply(self, incoming: AbstractIncomingMessage) -> None:
        self._on_reply(self._to_message(incoming))

    async def _known_exchange(self, exchange: str) -> str:
        """Check once, on a throwaway channel, that an exchange this bus did not declare exists."""
        connection = self._require_connection()
        name = self.qualify(exchange)
        try:
            channel = await connection.channel()
            try:
                await channel.get_exchange(name, ensure=True)
            finally:
                with contextlib.suppress(*_BROKER_ERRORS):
                    await channel.close()
        except _BROKER_ERRORS as exc:
            raise BusError(f"no exchange {exchange}: {exc}") from exc
        self._exchange_names[exchange] = name
        return name

    def _require_connection(self) -> AbstractRobustConnection:
        if self._connection is None:
            raise BusError("bus is not connected")
        return self._connection

    def _to_message(self, incoming: AbstractIncomingMessage) -> Message:
        return Message(
            body=incoming.body,
            exchange=self.logical(incoming.exchange or ""),
            routing_key=incoming.routing_key or "",
            message_id=incoming.message_id,
            correlation_id=incoming.correlation_id,
            reply_to=incoming.reply_to,
            headers=incoming.headers or {},
            priority=incoming.priority or 0,
            redelivered=bool(incoming.redelivered),
        )
