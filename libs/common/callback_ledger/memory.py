"""The in-process ledger (embedded default, unit tests, and the fallback while Redis is away)."""

from __future__ import annotations

from libs.common.callback_ledger.base import (
    DEFAULT_TTL_S,
    CallbackLedger,
    LedgerEntry,
    LedgerState,
)
from libs.common.ttl_cache import TtlCache


class MemoryCallbackLedger(CallbackLedger):
    """In-process ledger for the embedded default and unit tests (one gateway replica only)."""

    def __init__(self, ttl_s: float = DEFAULT_TTL_S) -> None:
        self._entries: TtlCache[str, LedgerEntry] = TtlCache(ttl_s, max_entries=100_000)

    def _live(self, key: str) -> LedgerEntry | None:
        return self._entries.get(key)

    def _put(self, key: str, entry: LedgerEntry) -> None:
        self._entries.put(key, entry)

    async def claim(self, key: str) -> LedgerEntry | None:
        entry = self._live(key)
        if entry is None:
            self._put(key, LedgerEntry(LedgerState.PENDING))
        return entry

    async def _transition(
        self, key: str, new: LedgerEntry, from_state: LedgerState
    ) -> LedgerEntry | None:
        entry = self._live(key)
        if entry is not None and entry.state is from_state:
            self._put(key, new)
        return entry

    async def get(self, key: str) -> LedgerEntry | None:
        return self._live(key)

    async def release(self, key: str) -> None:
        entry = self._live(key)
        if entry is not None and entry.state is LedgerState.PENDING:
            self._entries.discard(key)
