"""Request/reply over RabbitMQ's direct reply-to: the reply half of :class:`AmqpBus`.

::

    request  -> _reply_address: consume amq.rabbitmq.reply-to on the publishing channel (once,
                again after each reopen) -> publish with reply_to=amq.rabbitmq.reply-to
    replier  -> reply: basic.publish on the reply channel, no confirm, no wait
    broker   -> _on_amqp_reply -> to_message -> Bus._on_reply (completes the waiting request)
"""

from __future__ import annotations

import asyncio
import logging
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, cast

from aio_pika.abc import AbstractRobustChannel
from aiormq.abc import DeliveredMessage
from aiormq.channel import Channel
from pamqp.commands import Basic

from libs.common.bus._amqp.connection import BROKER_ERRORS
from libs.common.bus._base import Bus
from libs.common.bus._message import BusError, Message

log = logging.getLogger("libs.common.bus")

DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"


class DirectReplies(Bus):
    """Replies consumed from, and sent to, RabbitMQ's direct reply-to pseudo-queue.

    The concrete bus opens ``_channel`` (publisher confirms: it publishes the requests, so it
    must also consume their replies) and ``_reply_channel`` (no confirms: it sends replies), and
    turns aiormq deliveries into messages with ``_to_message``. A base class rather than an
    object the bus holds, so that ``reply`` and ``_reply_address`` stay one call each on the
    per-message path.
    """

    _channel: AbstractRobustChannel | None

    def __init__(self, namespace: str = "") -> None:
        super().__init__(namespace)
        self._reply_channel: AbstractRobustChannel | None = None
        self._reply_queue: str | None = None
        self._reply_lock = asyncio.Lock()

    @abstractmethod
    def _to_message(self, incoming: DeliveredMessage) -> Message:
        """The bus message for an aiormq delivery."""

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
                except BROKER_ERRORS as exc:
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
        except BROKER_ERRORS as exc:
            log.warning("reply to %s lost: %s", request.reply_to, exc)

    async def _consume_replies(self, channel: AbstractRobustChannel) -> None:
        """Consume direct replies on the channel's current underlay (again after a reopen)."""
        underlay = await channel.get_underlay_channel()
        await underlay.basic_consume(DIRECT_REPLY_TO, self._on_amqp_reply, no_ack=True)

    async def _resume_replies(self, channel: Any, *_: Any) -> None:
        await self._consume_replies(channel)

    async def _on_amqp_reply(self, incoming: DeliveredMessage) -> None:
        self._on_reply(self._to_message(incoming))
