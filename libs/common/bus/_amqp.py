"""AmqpBus: the bus contract over RabbitMQ with aio-pika (robust connection, publisher confirms)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Mapping
from typing import Any, Literal, cast

import aio_pika
from aio_pika.abc import AbstractQueue, AbstractRobustChannel, AbstractRobustConnection
from aiormq.abc import AbstractChannel, DeliveredMessage
from aiormq.channel import Channel
from aiormq.connection import TransportFactory
from aiormq.exceptions import (
    AMQPConnectionError,
    AMQPError,
    ChannelInvalidStateError,
    DeliveryError,
    PublishError,
)
from pamqp.commands import Basic
from yarl import URL

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
from libs.common.bus.topology import DLX, TRANSIENT_EXPIRES_MS, Queue, Topology
from libs.common.corking import open_corked_connection

log = logging.getLogger("libs.common.bus")

QueueType = Literal["quorum", "classic"]

DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"

# What a broken or closing connection raises; all of it surfaces as BusError.
_BROKER_ERRORS = (AMQPError, ChannelInvalidStateError, ConnectionError)


class _CorkedTcpTransportFactory(TransportFactory):
    """Plain-TCP AMQP connections whose frames written in one loop turn leave in one write.

    aiormq writes each frame (publish, ack, reply) on its own; under load that is a system call per
    frame on both ends. See ``libs/common/corking.py``.
    """

    async def create(
        self, url: URL, **kwargs: Any
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        kwargs.pop("ssl_context_provider", None)
        try:
            return await open_corked_connection(url.host or "localhost", url.port or 5672, **kwargs)
        except OSError as exc:
            raise AMQPConnectionError(*exc.args) from exc


class _Acker:
    """Settles the deliveries of one channel, folding acks into ``basic.ack(multiple=True)``.

    Acks are held for ``delay_s`` and then go out together: one multiple-ack up to the newest tag
    whose older tags are all acked, single acks for the rest. On a quorum queue every ack frame
    becomes an entry in the queue's log, written and synced to disk, so one frame for several
    messages takes real work off the broker. Holding an ack a few milliseconds risks nothing: a
    message whose ack is lost to a crash is redelivered, and consumers are idempotent. Nacks go
    out at once, before any later multiple-ack can cover their tag.
    """

    __slots__ = ("_acked", "_delay_s", "_flush", "_outstanding", "_timer", "channel")

    def __init__(self, channel: AbstractChannel, delay_s: float) -> None:
        self.channel = channel
        self._delay_s = delay_s
        # delivery tag -> acked; tags arrive in increasing order, so insertion order is tag order.
        self._outstanding: dict[int, bool] = {}
        self._acked = 0
        self._timer: asyncio.TimerHandle | None = None
        self._flush: asyncio.Task[None] | None = None

    def delivered(self, tag: int) -> None:
        self._outstanding[tag] = False

    def ack(self, tag: int) -> None:
        if self._outstanding.get(tag) is False:
            self._outstanding[tag] = True
            self._acked += 1
            if self._flush is None and self._timer is None:
                self._timer = asyncio.get_running_loop().call_later(self._delay_s, self._start)

    def _start(self) -> None:
        self._timer = None
        if self._flush is None:
            self._flush = asyncio.get_running_loop().create_task(self._send_acks())

    async def nack(self, tag: int, *, requeue: bool) -> None:
        if self._outstanding.pop(tag, None) is None:
            return
        await self.channel.basic_nack(tag, requeue=requeue, wait=False)

    async def flush(self) -> None:
        """Send the pending acks now (before the channel closes)."""
        if self._timer is not None:
            self._timer.cancel()
            self._start()
        if self._flush is not None:
            await self._flush

    async def _send_acks(self) -> None:
        # Acks made while this one sends start another round, so none is left waiting.
        try:
            while self._acked:
                await self._send_round()
        finally:
            self._flush = None

    async def _send_round(self) -> None:
        outstanding = self._outstanding
        if self.channel.is_closed:
            # The broker requeued everything unacked on this channel; nothing to send.
            outstanding.clear()
            self._acked = 0
            return
        newest_contiguous = None
        for tag, acked in outstanding.items():
            if not acked:
                break
            newest_contiguous = tag
        if newest_contiguous is not None:
            for tag in list(outstanding):
                del outstanding[tag]
                self._acked -= 1
                if tag == newest_contiguous:
                    break
        singles = [tag for tag, acked in outstanding.items() if acked] if self._acked else []
        for tag in singles:
            del outstanding[tag]
        self._acked = 0
        try:
            if newest_contiguous is not None:
                await self.channel.basic_ack(newest_contiguous, multiple=True, wait=False)
            for tag in singles:
                await self.channel.basic_ack(tag, wait=False)
        except _BROKER_ERRORS:
            log.warning("acks lost with their channel; those messages will be redelivered")


class _AmqpDelivery(Delivery):
    __slots__ = ("_acker", "_tag")

    def __init__(self, acker: _Acker, tag: int, message: Message) -> None:
        super().__init__(message)
        self._acker = acker
        self._tag = tag

    async def _ack(self) -> None:
        self._acker.ack(self._tag)

    async def _nack(self, *, requeue: bool) -> None:
        try:
            await self._acker.nack(self._tag, requeue=requeue)
        except _BROKER_ERRORS:
            log.warning("nack of %s lost with its channel; it will be redelivered", self.message)


class _AmqpSubscription(Subscription):
    """A consumer on its own robust channel, consuming on the channel's current underlay.

    aio-pika's ``IncomingMessage`` and its extra task per message cost more than the handler on the
    callback path, so messages are taken straight from aiormq; after a reconnect the channel's
    reopen hook consumes again on the new underlay.
    """

    def __init__(
        self,
        bus: AmqpBus,
        channel: AbstractRobustChannel,
        queue_name: str,
        handler: Handler,
    ) -> None:
        self._bus = bus
        self._channel = channel
        self._queue_name = queue_name
        self._handler = handler
        self.tasks: set[asyncio.Task[Any]] = set()
        self._acker: _Acker | None = None
        self._consumer_tag: str | None = None
        self._cancelled = False

    async def start(self) -> None:
        """Consume on the channel's current underlay; called again after every reopen."""
        underlay = await self._channel.get_underlay_channel()
        acker = _Acker(underlay, self._bus.ack_delay_s)
        to_message = self._bus._to_message
        handler = self._handler
        tasks = self.tasks

        async def on_message(incoming: DeliveredMessage) -> None:
            task = asyncio.current_task()
            tag = incoming.delivery_tag or 0
            acker.delivered(tag)
            if task is not None:
                tasks.add(task)
            try:
                await deliver(handler, _AmqpDelivery(acker, tag, to_message(incoming)))
            finally:
                tasks.discard(task)

        self._acker = acker
        ok = await underlay.basic_consume(self._queue_name, on_message)
        self._consumer_tag = ok.consumer_tag

    async def _on_reopen(self, *_: Any) -> None:
        if not self._cancelled:
            await self.start()

    async def cancel(self) -> None:
        """Stop consuming; running handlers are cancelled and unsettled messages requeued."""
        if self._cancelled:
            return
        self._cancelled = True
        self._bus.forget(self)
        acker, tag = self._acker, self._consumer_tag
        if acker is not None and tag is not None and not acker.channel.is_closed:
            with contextlib.suppress(*_BROKER_ERRORS):
                await acker.channel.basic_cancel(tag)
        current = asyncio.current_task()
        running = [task for task in self.tasks if task is not current]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        if acker is not None:
            await acker.flush()
        # Closing the channel makes the broker requeue whatever it still holds unacked.
        with contextlib.suppress(*_BROKER_ERRORS):
            await self._channel.close()


class AmqpBus(Bus):
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
        # How long a consumer's acks are held to go out as one frame (see _Acker).
        self.ack_delay_s = ack_delay_s
        # Shown by the broker (management UI, rabbitmqctl) so operators can tell connections apart.
        self.connection_name = connection_name or f"wxhub-{namespace or 'bus'}-{os.getpid()}"

        self._queue_type = queue_type
        self._default_prefetch = prefetch
        self._publish_timeout = publish_timeout
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractRobustChannel | None = None
        self._reply_channel: AbstractRobustChannel | None = None
        # logical name -> broker name, for exchanges known to exist.
        self._exchange_names: dict[str, str] = {"": ""}
        # logical name -> spec of the transient queues declared, redeclared by their consumer.
        self._transient: dict[str, Queue] = {}
        self._subscriptions: set[_AmqpSubscription] = set()
        self._reply_queue: str | None = None
        self._reply_lock = asyncio.Lock()

    async def connect(self) -> None:
        """Connect (idempotent); raises BusError when the broker is unreachable."""
        if self._connection is not None:
            return
        try:
            connection = aio_pika.RobustConnection(
                URL(self._url), client_properties={"connection_name": self.connection_name}
            )
            if connection.url.scheme == "amqp":
                connection.kwargs["transport_factory"] = _CorkedTcpTransportFactory()
            await connection.connect()
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
                    if spec.transient:
                        await self._declare_transient(channel, spec)
                        self._transient[spec.name] = spec
                        continue
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

    async def _declare_transient(
        self, channel: AbstractRobustChannel, spec: Queue
    ) -> AbstractQueue:
        queue = await channel.declare_queue(
            self.qualify(spec.name),
            durable=False,
            arguments={"x-queue-type": "classic", "x-expires": TRANSIENT_EXPIRES_MS},
        )
        for exchange_name, key in spec.bindings:
            await queue.bind(self.qualify(exchange_name), key)
        return queue

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
                underlay = cast(Channel, await channel.get_underlay_channel())
                await underlay.basic_publish(
                    body,
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
            transient = self._transient.get(queue)
            if transient is not None:
                # A transient queue dies with the broker: declared (and bound) on the robust
                # channel, it is declared again when the channel reopens after a restart.
                amqp_queue = await self._declare_transient(channel, transient)
            else:
                amqp_queue = await channel.get_queue(self.qualify(queue), ensure=True)
        except _BROKER_ERRORS as exc:
            # A robust channel would reopen itself after the broker closed it; close it for good.
            with contextlib.suppress(*_BROKER_ERRORS):
                await channel.close()
            raise BusError(f"cannot consume {queue}: {exc}") from exc
        subscription = _AmqpSubscription(self, channel, amqp_queue.name, handler)
        try:
            await subscription.start()
        except _BROKER_ERRORS as exc:
            with contextlib.suppress(*_BROKER_ERRORS):
                await channel.close()
            raise BusError(f"cannot consume {queue}: {exc}") from exc
        channel.reopen_callbacks.add(subscription._on_reopen)
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
                    await self._consume_replies(channel)
                except _BROKER_ERRORS as exc:
                    raise BusError(f"cannot consume direct replies: {exc}") from exc
                channel.reopen_callbacks.add(self._resume_replies)
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
            underlay = cast(Channel, await channel.get_underlay_channel())
            await underlay.basic_publish(
                body,
                exchange="",
                routing_key=request.reply_to,
                properties=properties,
                # Fire and forget, like the missing confirm: no wait for the writer task either.
                wait=False,
            )
        except _BROKER_ERRORS as exc:
            log.warning("reply to %s lost: %s", request.reply_to, exc)

    async def _consume_replies(self, channel: AbstractRobustChannel) -> None:
        """Consume direct replies on the channel's current underlay (again after a reopen)."""
        underlay = await channel.get_underlay_channel()
        await underlay.basic_consume(DIRECT_REPLY_TO, self._on_amqp_reply, no_ack=True)

    async def _resume_replies(self, channel: Any, *_: Any) -> None:
        await self._consume_replies(channel)

    async def _on_amqp_reply(self, incoming: DeliveredMessage) -> None:
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
