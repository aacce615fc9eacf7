"""Acks of one consuming channel, folded into ``basic.ack(multiple=True)`` frames."""

from __future__ import annotations

import asyncio
import logging

from aiormq.abc import AbstractChannel

from libs.common.bus._amqp.connection import BROKER_ERRORS

log = logging.getLogger("libs.common.bus")


class Acker:
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
        except BROKER_ERRORS:
            log.warning("acks lost with their channel; those messages will be redelivered")
