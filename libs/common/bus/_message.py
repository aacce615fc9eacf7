"""What travels on the bus, and what its operations and handlers raise."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Message:
    """A message as a consumer sees it; ``exchange`` is the logical name (namespace stripped)."""

    body: bytes
    exchange: str
    routing_key: str
    message_id: str | None = None
    correlation_id: str | None = None
    reply_to: str | None = None
    headers: Mapping[str, Any] = field(default_factory=dict)
    priority: int = 0
    redelivered: bool = False


class BusError(Exception):
    """The bus could not do what was asked (broker unreachable, nacked publish, unknown name)."""


class RequestTimeout(BusError):
    """No reply arrived before the request's deadline (the request itself was stored)."""


class RequestNotSent(BusError):
    """The deadline passed before the broker confirmed the request: it may never have been
    stored, so nobody may be working on it (publish it again to be sure)."""


class Unroutable(BusError):
    """The broker found no queue bound for a published message; nothing was stored."""


class Retry(Exception):
    """Raised by a typed handler: put the message back on its queue (after ``delay_s``)."""

    def __init__(self, reason: str = "", *, delay_s: float = 0.0) -> None:
        super().__init__(reason)
        self.delay_s = delay_s


class Reject(Exception):
    """Raised by a typed handler: the message can never succeed; dead-letter it."""
