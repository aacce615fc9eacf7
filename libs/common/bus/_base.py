"""The abstract :class:`Bus`: names, publish, consume, and request/reply built on publish.

Messages and errors are in ``_message.py``; deliveries and the settlement policy every
implementation shares in ``_delivery.py``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

from libs.common.bus._delivery import Handler, Subscription
from libs.common.bus._message import (
    BusError,
    Message,
    RequestNotSent,
    RequestTimeout,
    Unroutable,
)
from libs.common.bus.topology import Topology

log = logging.getLogger("libs.common.bus")


class Bus(ABC):
    """Publish, consume with manual acks, and request/reply over named exchanges and queues.

    Every exchange and queue name passed in is logical (``wx.inbound``); the bus prefixes it with
    ``namespace`` so that several isolated topologies can share one broker. ``publish`` returns
    only once the message is stored (publisher confirm) and raises :class:`Unroutable` when no
    queue is bound for it. Handlers are settled as ``_delivery.py`` describes. Replies that
    arrive after their request timed out are dropped and counted in ``late_replies``.
    """

    namespace: str
    late_replies: int

    def __init__(self, namespace: str = "") -> None:
        self.namespace = namespace
        self.late_replies = 0
        self._prefix = f"{namespace}." if namespace else ""
        self._pending: dict[str, asyncio.Future[Message]] = {}
        self._rpc_prefix = f"{uuid.uuid4().hex[:12]}."
        self._rpc_seq = 0

    def qualify(self, name: str) -> str:
        """The broker-side name of a logical exchange or queue name (``""`` stays ``""``)."""
        return self._prefix + name if name else name

    def logical(self, name: str) -> str:
        """The logical name of a broker-side exchange or queue name."""
        if self._prefix and name.startswith(self._prefix):
            return name[len(self._prefix) :]
        return name

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @abstractmethod
    async def connect(self) -> None:
        """Open the connection (idempotent)."""

    @abstractmethod
    async def close(self) -> None:
        """Cancel subscriptions, fail pending requests and close the connection."""

    @abstractmethod
    async def declare(self, topology: Topology) -> None:
        """Declare exchanges, durable queues (dead-lettering to ``wx.dlx``) and bindings."""

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
        """Publish and wait for the broker's confirm; raises :class:`Unroutable` or BusError."""
        await self._publish(
            Message(
                body=body,
                exchange=exchange,
                routing_key=routing_key,
                message_id=message_id,
                correlation_id=correlation_id,
                reply_to=reply_to,
                headers=dict(headers) if headers else {},
                priority=priority,
            ),
            persistent=persistent,
        )

    @abstractmethod
    async def _publish(self, message: Message, *, persistent: bool) -> None:
        """Send ``message`` (its ``exchange`` a logical name) as :meth:`publish` promises.

        The one publish signature lives in :meth:`publish`; implementations receive its
        arguments gathered in the message a consumer will see.
        """

    @abstractmethod
    async def consume(
        self, queue: str, handler: Handler, *, prefetch: int | None = None
    ) -> Subscription:
        """Run ``handler`` on each message of ``queue``, at most ``prefetch`` at a time."""

    async def request(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        *,
        timeout: float,
        message_id: str | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> Message:
        """Publish with this bus's private ``reply_to`` and wait up to ``timeout`` s for the reply.

        Raises :class:`RequestTimeout` when the deadline passes after the request was stored (a
        reply arriving later is dropped and counted in ``late_replies``), :class:`RequestNotSent`
        when it passes before the broker confirmed the request (a broker restarting),
        :class:`Unroutable` when nobody consumes the request, :class:`BusError` when the bus
        closes meanwhile.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        reply_to = await self._reply_address()
        self._rpc_seq += 1
        correlation_id = f"{self._rpc_prefix}{self._rpc_seq}"
        future: asyncio.Future[Message] = loop.create_future()
        self._pending[correlation_id] = future
        stored = False
        try:
            async with asyncio.timeout_at(deadline):
                await self.publish(
                    exchange,
                    routing_key,
                    body,
                    message_id=message_id,
                    correlation_id=correlation_id,
                    reply_to=reply_to,
                    headers=headers,
                )
                stored = True
                return await future
        except TimeoutError:
            if not stored:
                raise RequestNotSent(
                    f"{exchange}/{routing_key} not confirmed by the broker within {timeout:.3f}s"
                ) from None
            raise RequestTimeout(
                f"no reply to {exchange}/{routing_key} within {timeout:.3f}s"
            ) from None
        finally:
            del self._pending[correlation_id]

    def _on_reply(self, message: Message) -> None:
        """Complete the request a reply belongs to; count and drop replies nobody awaits."""
        future = self._pending.get(message.correlation_id or "")
        if future is None or future.done():
            self.late_replies += 1
            log.info("late or unknown reply dropped (correlation id %s)", message.correlation_id)
            return
        future.set_result(message)

    def _fail_pending(self) -> None:
        """Make every waiting request raise :class:`BusError` (the bus is closing)."""
        for future in self._pending.values():
            if not future.done():
                future.set_exception(BusError("bus closed while awaiting the reply"))

    @abstractmethod
    async def _reply_address(self) -> str:
        """Name of this bus instance's private reply queue, created on first use."""

    async def reply(
        self, request: Message, body: bytes, *, headers: Mapping[str, Any] | None = None
    ) -> None:
        """Send ``body`` back to the requester; a no-op without ``reply_to``.

        A requester that is gone (its reply queue no longer exists) is logged, not raised:
        nobody could read the reply anyway.
        """
        if not request.reply_to:
            return
        try:
            await self.publish(
                "",
                request.reply_to,
                body,
                correlation_id=request.correlation_id,
                headers=headers,
                persistent=False,
            )
        except Unroutable:
            log.warning("reply to %s dropped: the requester is gone", request.reply_to)

    @abstractmethod
    async def ping(self) -> bool:
        """Whether the bus is connected and usable (readiness)."""
