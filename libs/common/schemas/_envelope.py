"""The envelope every bus message shares: schema version, ids and time."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field


def new_id() -> str:
    """A fresh message id: 128 random bits as 32 hex digits (the shape of a hex UUID4).

    From the process's PRNG (reseeded after fork) rather than ``uuid4()``, which asks the kernel
    for randomness on every call; ids need uniqueness, not unpredictability.
    """
    return f"{random.getrandbits(128):032x}"


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Envelope(BaseModel):
    """Base of every bus message; ``schema`` lets consumers refuse versions they don't know."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    schema_version: Literal[1] = Field(default=1, alias="schema")
    message_id: str = Field(default_factory=new_id)
    correlation_id: str | None = None
    occurred_at: datetime = Field(default_factory=utcnow)

    def to_bytes(self) -> bytes:
        """JSON bytes as they travel on the bus (non-ASCII kept as UTF-8)."""
        return self.model_dump_json(by_alias=True).encode()

    @classmethod
    def from_bytes(cls, body: bytes) -> Self:
        """Validate bytes from the bus; raises ``pydantic.ValidationError`` on bad input."""
        return cls.model_validate_json(body)
