"""Deliveries and their settlement: ack, nack (requeue) or reject (dead-letter).

Delivery policy shared by every implementation (:func:`deliver`):

* a handler that returns without settling its delivery gets it acked;
* a handler that raises on a first delivery (``redelivered=False``) gets it nacked with requeue;
* a handler that raises on a redelivery (``redelivered=True``) gets it rejected, which routes it
  to the dead-letter exchange ``wx.dlx`` (queue ``wx.dead``). A message redelivered for another
  reason (a consumer cancelled or crashed while holding it) therefore gets one attempt only;
* a delivery the handler settled itself is left alone, whatever the handler does afterwards.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

from libs.common.bus._message import Message
from libs.common.observability.metrics import BUS_DELIVERIES

log = logging.getLogger("libs.common.bus")


class Delivery(ABC):
    """One delivered message awaiting settlement; only the first of ack/nack/reject counts."""

    __slots__ = ("_settled", "message")

    def __init__(self, message: Message) -> None:
        self.message = message
        self._settled = False

    @property
    def settled(self) -> bool:
        """Whether ack, nack or reject was already called."""
        return self._settled

    async def ack(self) -> None:
        """Acknowledge: the message is done and leaves the queue."""
        if not self._settled:
            self._settled = True
            BUS_DELIVERIES.labels(self.message.exchange, "ack").inc()
            await self._ack()

    async def nack(self, *, requeue: bool = True) -> None:
        """Refuse: back on the queue (``redelivered=True``), or dead-lettered if not ``requeue``."""
        if not self._settled:
            self._settled = True
            BUS_DELIVERIES.labels(self.message.exchange, "requeue" if requeue else "dead").inc()
            await self._nack(requeue=requeue)

    async def reject(self) -> None:
        """Dead-letter the message to ``wx.dlx`` (dropped if its queue has no dead-lettering)."""
        if not self._settled:
            self._settled = True
            BUS_DELIVERIES.labels(self.message.exchange, "dead").inc()
            await self._nack(requeue=False)

    @abstractmethod
    async def _ack(self) -> None: ...

    @abstractmethod
    async def _nack(self, *, requeue: bool) -> None: ...


Handler = Callable[[Delivery], Awaitable[None]]


class Subscription(ABC):
    """A running consumer."""

    @abstractmethod
    async def cancel(self) -> None:
        """Stop consuming; running handlers are cancelled and unsettled messages requeued."""


async def deliver(handler: Handler, delivery: Delivery) -> None:
    """Run ``handler`` on ``delivery`` and settle it according to this module's policy."""
    try:
        await handler(delivery)
    except Exception:
        message = delivery.message
        if delivery.settled:
            log.exception("bus handler failed after settling message %s", message.message_id)
        elif message.redelivered:
            log.exception("bus handler failed again, dead-lettering message %s", message.message_id)
            await delivery.reject()
        else:
            log.warning(
                "bus handler failed, requeueing message %s", message.message_id, exc_info=True
            )
            await delivery.nack(requeue=True)
    else:
        if not delivery.settled:
            await delivery.ack()
