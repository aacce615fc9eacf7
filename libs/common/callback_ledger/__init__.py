"""The callback ledger: which WeChat callbacks were seen, and what they were answered with.

WeChat re-sends a callback it got no answer to (up to 3 deliveries, ~5 s apart), possibly to
another gateway replica. Every callback's dedup key (docs/wechat-protocol.md §7.4) gets one ledger
entry in a store shared by all replicas, which moves through::

    PENDING ──resolve()──▶ REPLIED(reply)         engine answered in time: passive reply
       │
       └──expire()──▶ EXPIRED ──forward()──▶ FORWARDED   gateway gave up; the engine's late answer
                                                        goes out as a customer-service message

Both transitions out of PENDING are compare-and-set, so the gateway's deadline and the engine's
answer can race and exactly one of them wins: the user gets the answer once, passively or not.
A retry reads the entry: REPLIED → the stored reply again; PENDING → wait; otherwise ``success``.

Stores: ``memory.py`` (one replica), ``redis_ledger.py`` (shared), ``fallback.py`` (the shared
one with an in-process stand-in while it is unreachable; :func:`make_callback_ledger` picks).
"""

from __future__ import annotations

from libs.common.callback_ledger.base import (
    DEFAULT_TTL_S,
    CallbackLedger,
    LedgerEntry,
    LedgerState,
)
from libs.common.callback_ledger.fallback import FallbackCallbackLedger, make_callback_ledger
from libs.common.callback_ledger.memory import MemoryCallbackLedger
from libs.common.callback_ledger.redis_ledger import RedisCallbackLedger

__all__ = [
    "DEFAULT_TTL_S",
    "CallbackLedger",
    "FallbackCallbackLedger",
    "LedgerEntry",
    "LedgerState",
    "MemoryCallbackLedger",
    "RedisCallbackLedger",
    "make_callback_ledger",
]
