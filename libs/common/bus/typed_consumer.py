"""Typed consumers: decode and validate the envelope, run the handler, settle by outcome."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import ValidationError

from libs.common.bus._delivery import Delivery, Handler
from libs.common.bus._message import Message, Reject, Retry
from libs.common.schemas import Envelope

log = logging.getLogger("libs.common.bus")

E = TypeVar("E", bound=Envelope)


def typed_handler(model: type[E], handle: Callable[[E, Message], Awaitable[None]]) -> Handler:
    """Wrap ``handle`` into a bus handler for messages of type ``model``.

    * a body that does not validate as ``model`` is rejected (dead-lettered) and logged;
    * a normal return acks — so ``handle`` must return only once its effects are durable;
    * :class:`Retry` nacks with requeue (after ``delay_s``), :class:`Reject` dead-letters;
    * any other exception follows the bus policy: requeued once, dead-lettered when it fails on
      the redelivery.
    """

    async def handler(delivery: Delivery) -> None:
        message = delivery.message
        try:
            event = model.from_bytes(message.body)
        except ValidationError as exc:
            log.error(
                "invalid %s on %s/%s (message %s), dead-lettering: %s",
                model.__name__,
                message.exchange,
                message.routing_key,
                message.message_id,
                exc.errors(include_url=False),
            )
            await delivery.reject()
            return
        try:
            await handle(event, message)
        except Retry as retry:
            log.info("retrying message %s: %s", message.message_id, retry)
            if retry.delay_s > 0:
                await asyncio.sleep(retry.delay_s)
            await delivery.nack(requeue=True)
            return
        except Reject as reject:
            log.warning("rejecting message %s: %s", message.message_id, reject)
            await delivery.reject()
            return
        await delivery.ack()

    return handler
