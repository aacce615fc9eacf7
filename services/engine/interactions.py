"""Every follower who interacts is a customer row, with ``last_interaction_at`` kept current.

The hot path only notes ``(account, openid) → time`` in a dict (:meth:`InteractionBook.note`);
a :class:`~libs.common.periodic.Periodic` flushes it every ``interval_s``, or as soon as
``max_entries`` followers are waiting, as one upsert executed with the batch's rows as its
parameters (one prepared statement, whatever the batch's size): a new openid becomes a row
(subscribed: only followers can write to an account), a known one gets the later of its stored
and noted times. Flushing is idempotent (the same batch twice changes nothing the second
time), so a failed flush puts its entries back and the next tick tries again; what is still
noted at :meth:`stop` is flushed then. Nothing here is on the reply path.

``last_interaction_at`` is kept to ``resolution_s`` (a minute by default): a follower written less
than that before is not noted again, so someone chatting away costs one row write a minute, not
one a message. The memory of what was written holds only followers written within that time.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from types import ModuleType
from typing import Any, cast

from sqlalchemy import Table, bindparam, or_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db.models import Customer
from libs.common.db.prepared import Prepared
from libs.common.observability.logging import get_logger
from libs.common.periodic import Periodic
from libs.common.wechat import InboundMessage, UnsubscribeEvent
from libs.common.wechat.messages import JobFinishEvent, KfCreateSessionEvent, KfSwitchSessionEvent

log = get_logger(__name__)

_TABLE = cast(Table, Customer.__table__)

# Callbacks that are not the follower doing something: leaving, WeChat's delivery reports and
# customer-service session bookkeeping.
_NOT_INTERACTIONS = (UnsubscribeEvent, JobFinishEvent, KfCreateSessionEvent, KfSwitchSessionEvent)


def is_interaction(message: InboundMessage) -> bool:
    """Whether ``message`` is the follower interacting (a message, a click, a scan…)."""
    return not isinstance(message, _NOT_INTERACTIONS)


class InteractionBook:
    """Notes who interacted and when; writes them to ``customers`` in batches."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        interval_s: float,
        max_entries: int,
        resolution_s: float = 60.0,
    ) -> None:
        self._sessions = sessions
        self._max_entries = max(1, max_entries)
        self._resolution_s = resolution_s
        self._pending: dict[tuple[int, str], int] = {}
        # Follower → the time last written, for those written within ``resolution_s``.
        self._written: dict[tuple[int, str], int] = {}
        self._flusher = Periodic(self.flush, interval_s=interval_s, name="interaction flusher")

    def note(self, account_id: int, openid: str, at: int) -> None:
        """Remember that ``openid`` interacted at unix time ``at`` (no I/O)."""
        key = (account_id, openid)
        written = self._written.get(key)
        if written is not None and at - written < self._resolution_s:
            return
        if at > self._pending.get(key, 0):
            self._pending[key] = at
        if len(self._pending) >= self._max_entries:
            self._flusher.wake()

    @property
    def pending(self) -> int:
        """How many followers wait to be written."""
        return len(self._pending)

    async def start(self) -> None:
        """Start flushing periodically."""
        await self._flusher.start()

    async def stop(self) -> None:
        """Stop the loop and write what is still noted."""
        await self._flusher.stop()
        try:
            await self.flush()
        except Exception:
            log.exception("interactions_lost_at_stop", followers=len(self._pending))

    async def flush(self) -> int:
        """Write every noted interaction (one statement per ``max_entries``); returns how many."""
        batch, self._pending = self._pending, {}
        items = list(batch.items())
        done = 0
        try:
            for start in range(0, len(items), self._max_entries):
                chunk = items[start : start + self._max_entries]
                async with self._sessions.begin() as session:
                    await session.execute(_UPSERT.for_session(session), _rows(chunk))
                done += len(chunk)
                self._written.update(chunk)
        except Exception:
            # Put back what was not written (keeping anything newer noted meanwhile).
            for key, at in items[done:]:
                if at > self._pending.get(key, 0):
                    self._pending[key] = at
            raise
        finally:
            self._forget_older_than(time.time() - self._resolution_s)
        return done

    def _forget_older_than(self, horizon: float) -> None:
        stale = [key for key, at in self._written.items() if at < horizon]
        for key in stale:
            del self._written[key]


def _rows(chunk: list[tuple[tuple[int, str], int]]) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [
        {
            "account_id": account_id,
            "openid": openid,
            "at": datetime.fromtimestamp(at, UTC),
            "now": now,
        }
        for (account_id, openid), at in chunk
    ]


def _build_upsert(dialect: ModuleType) -> Any:
    """A follower's row, or the later ``last_interaction_at`` on the one they have."""
    statement = dialect.insert(_TABLE).values(
        account_id=bindparam("account_id"),
        openid=bindparam("openid"),
        subscribed=True,
        subscribe_scene="",
        binding_state="unbound",
        last_interaction_at=bindparam("at"),
        created_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
    return statement.on_conflict_do_update(
        index_elements=[_TABLE.c.account_id, _TABLE.c.openid],
        set_={"last_interaction_at": statement.excluded.last_interaction_at},
        where=or_(
            _TABLE.c.last_interaction_at.is_(None),
            _TABLE.c.last_interaction_at < statement.excluded.last_interaction_at,
        ),
    )


# One statement executed for the whole batch (one prepared statement, its rows as parameters):
# a multi-row VALUES statement is compiled anew for every batch size.
_UPSERT: Prepared[Any] = Prepared(_build_upsert)
