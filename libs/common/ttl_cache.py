"""A small in-process cache whose entries expire ``ttl_s`` after they were stored.

Services keep rarely changing configuration (accounts, reminder types, commands, places) in
memory for a few seconds so their hot paths do not pay a database round trip; a change shows
up within ``ttl_s`` without a restart. :meth:`TtlCache.get_or_load` loads a missing or
expired entry once, however many callers ask for it at the same time, and can keep serving the
expired value while the database is briefly unreachable. A stored ``None`` is a value (e.g.
"no such account"), distinct from a miss.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar, cast

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
D = TypeVar("D")

_MISSING = object()


class TtlCache(Generic[K, V]):
    """Key → value, each entry fresh for ``ttl_s`` seconds after it was stored.

    ``max_entries`` bounds memory: beyond it, expired entries are swept on the next store.
    """

    def __init__(
        self,
        ttl_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int | None = None,
        stale_on_error: bool = False,
    ) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._max_entries = max_entries
        self._stale_on_error = stale_on_error
        self._entries: dict[K, tuple[float, V]] = {}
        self._loading: dict[K, asyncio.Future[V]] = {}

    def get(self, key: K, default: D | None = None) -> V | D | None:
        """The fresh value of ``key``, else ``default``."""
        entry = self._entries.get(key)
        if entry is None:
            return default
        if entry[0] <= self._clock():
            return default
        return entry[1]

    def put(self, key: K, value: V) -> None:
        """Store ``value``, fresh for ``ttl_s`` from now."""
        if self._max_entries is not None and len(self._entries) >= self._max_entries:
            self._sweep()
        self._entries[key] = (self._clock() + self.ttl_s, value)

    def __len__(self) -> int:
        """Entries held, expired ones included until swept."""
        return len(self._entries)

    def discard(self, key: K) -> None:
        """Forget ``key``."""
        self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget everything (after a known change, or in tests)."""
        self._entries.clear()

    async def get_or_load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """The fresh value of ``key``, loading (and storing) it when missing or expired.

        Concurrent callers share one load. When the load fails and ``stale_on_error`` is set,
        an expired value is served (and the failure logged) instead of raising.
        """
        found = self.get(key, _MISSING)
        if found is not _MISSING:
            return cast(V, found)
        pending = self._loading.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        try:
            value = await load()
        except Exception as exc:
            stale = self._entries.get(key)
            if self._stale_on_error and stale is not None:
                log.exception("cache reload of %r failed; serving the expired value", key)
                future.set_result(stale[1])
                return stale[1]
            future.set_exception(exc)
            future.exception()  # retrieved: a lone caller must not leave it unobserved
            raise
        else:
            self.put(key, value)
            future.set_result(value)
            return value
        finally:
            del self._loading[key]

    def _sweep(self) -> None:
        now = self._clock()
        for key in [k for k, (expires_at, _) in self._entries.items() if expires_at <= now]:
            del self._entries[key]
