"""The ledger's entry, its states, and the contract every store implements."""

from __future__ import annotations

import asyncio
import enum
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass

DEFAULT_TTL_S = 300


class LedgerState(enum.Enum):
    """Where a callback stands."""

    PENDING = "P"
    REPLIED = "R"
    EXPIRED = "E"
    FORWARDED = "F"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A ledger entry; ``reply`` is the engine's answer as JSON bytes (empty: nothing to say)."""

    state: LedgerState
    reply: bytes = b""

    def encode(self) -> bytes:
        """Storage form: one state byte, then the reply."""
        return self.state.value.encode() + self.reply

    @classmethod
    def decode(cls, raw: bytes) -> LedgerEntry:
        """Inverse of :meth:`encode`."""
        return cls(LedgerState(raw[:1].decode()), raw[1:])


class CallbackLedger(ABC):
    """Shared store of callback outcomes; every method is atomic across replicas."""

    @abstractmethod
    async def claim(self, key: str) -> LedgerEntry | None:
        """Create a PENDING entry; ``None`` if this call created it, else the existing entry."""

    @abstractmethod
    async def _transition(
        self, key: str, new: LedgerEntry, from_state: LedgerState
    ) -> LedgerEntry | None:
        """Write ``new`` only if the entry is in ``from_state``; return the entry as it was."""

    async def resolve(self, key: str, reply: bytes) -> LedgerEntry | None:
        """PENDING → REPLIED(reply). Returns the entry as it was before (``None``: no entry)."""
        return await self._transition(
            key, LedgerEntry(LedgerState.REPLIED, reply), LedgerState.PENDING
        )

    async def expire(self, key: str) -> LedgerEntry | None:
        """PENDING → EXPIRED. Returns the entry as it was before (REPLIED means: use the reply)."""
        return await self._transition(key, LedgerEntry(LedgerState.EXPIRED), LedgerState.PENDING)

    async def forward(self, key: str) -> None:
        """EXPIRED → FORWARDED, once the late answer is safely on ``wx.outbound``."""
        await self._transition(key, LedgerEntry(LedgerState.FORWARDED), LedgerState.EXPIRED)

    @abstractmethod
    async def get(self, key: str) -> LedgerEntry | None:
        """The current entry, if any."""

    @abstractmethod
    async def release(self, key: str) -> None:
        """Forget a PENDING entry whose message never reached the bus, so a retry can try again."""

    async def ping(self) -> bool:
        """Whether the store answers (readiness)."""
        return True

    async def close(self) -> None:  # noqa: B027 - optional hook, most ledgers hold nothing
        """Release connections."""

    async def wait_settled(self, key: str, *, timeout: float, poll_s: float = 0.05) -> LedgerEntry:
        """Wait (up to ``timeout``) until a retried in-flight callback leaves PENDING."""
        deadline = time.monotonic() + timeout
        entry = await self.get(key)
        while entry is not None and entry.state is LedgerState.PENDING:
            if time.monotonic() >= deadline:
                return entry
            await asyncio.sleep(poll_s)
            entry = await self.get(key)
        return entry or LedgerEntry(LedgerState.EXPIRED)
