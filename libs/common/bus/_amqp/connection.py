"""The broker connection's parts shared by publishing and consuming: corked TCP, broker errors."""

from __future__ import annotations

import asyncio
from typing import Any

from aiormq.connection import TransportFactory
from aiormq.exceptions import AMQPConnectionError, AMQPError, ChannelInvalidStateError
from yarl import URL

from libs.common.corking import open_corked_connection

# What a broken or closing connection raises; all of it surfaces as BusError.
BROKER_ERRORS = (AMQPError, ChannelInvalidStateError, ConnectionError)


class CorkedTcpTransportFactory(TransportFactory):
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
