"""A consumer: messages taken straight from aiormq, handled, settled through an :class:`Acker`.

::

    broker --basic.deliver--> on_message (one task per message, aiormq's)
      -> to_message -> deliver(handler, AmqpDelivery)     (libs.common.bus._base: ack/nack/retry)
        -> Acker.ack (held ``ack_delay_s``, one multiple-ack frame) | Acker.nack (at once)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from aio_pika.abc import AbstractRobustChannel
from aiormq.abc import DeliveredMessage

from libs.common.bus._amqp.acks import Acker
from libs.common.bus._amqp.connection import BROKER_ERRORS
from libs.common.bus._delivery import Delivery, Handler, Subscription, deliver
from libs.common.bus._message import Message

log = logging.getLogger("libs.common.bus")


class AmqpDelivery(Delivery):
    __slots__ = ("_acker", "_tag")

    def __init__(self, acker: Acker, tag: int, message: Message) -> None:
        super().__init__(message)
        self._acker = acker
        self._tag = tag

    async def _ack(self) -> None:
        self._acker.ack(self._tag)

    async def _nack(self, *, requeue: bool) -> None:
        try:
            await self._acker.nack(self._tag, requeue=requeue)
        except BROKER_ERRORS:
            log.warning("nack of %s lost with its channel; it will be redelivered", self.message)


class AmqpSubscription(Subscription):
    """A consumer on its own robust channel, consuming on the channel's current underlay.

    aio-pika's ``IncomingMessage`` and its extra task per message cost more than the handler on the
    callback path, so messages are taken straight from aiormq; after a reconnect the channel's
    reopen hook consumes again on the new underlay.
    """

    def __init__(
        self,
        channel: AbstractRobustChannel,
        queue_name: str,
        handler: Handler,
        *,
        ack_delay_s: float,
        to_message: Callable[[DeliveredMessage], Message],
        forget: Callable[[AmqpSubscription], None],
    ) -> None:
        self._ack_delay_s = ack_delay_s
        self._to_message = to_message
        self._forget = forget
        self._channel = channel
        self._queue_name = queue_name
        self._handler = handler
        self.tasks: set[asyncio.Task[Any]] = set()
        self._acker: Acker | None = None
        self._consumer_tag: str | None = None
        self._cancelled = False

    async def start(self) -> None:
        """Consume on the channel's current underlay; called again after every reopen."""
        underlay = await self._channel.get_underlay_channel()
        acker = Acker(underlay, self._ack_delay_s)
        to_message = self._to_message
        handler = self._handler
        tasks = self.tasks

        async def on_message(incoming: DeliveredMessage) -> None:
            task = asyncio.current_task()
            tag = incoming.delivery_tag or 0
            acker.delivered(tag)
            if task is not None:
                tasks.add(task)
            try:
                await deliver(handler, AmqpDelivery(acker, tag, to_message(incoming)))
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
        self._forget(self)
        acker, tag = self._acker, self._consumer_tag
        if acker is not None and tag is not None and not acker.channel.is_closed:
            with contextlib.suppress(*BROKER_ERRORS):
                await acker.channel.basic_cancel(tag)
        current = asyncio.current_task()
        running = [task for task in self.tasks if task is not current]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        if acker is not None:
            await acker.flush()
        # Closing the channel makes the broker requeue whatever it still holds unacked.
        with contextlib.suppress(*BROKER_ERRORS):
            await self._channel.close()
