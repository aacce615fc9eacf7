"""The event store (R-ST-5): raw events and their rollups, written exactly once per event id.

Flow of one group commit (many bus messages share it, see :class:`GroupCommit`)::

    events of every waiting message
      → (PostgreSQL) make sure the day partitions exist      own transaction, cached
      → BEGIN
          INSERT raw events ON CONFLICT (id, occurred_at) DO NOTHING RETURNING id
          rollups of the *returned* (new) events → UPSERT count = count + n   minute/hour/day
        COMMIT
      → each message learns which of its events were new, then gets acked

A redelivered message whose events are already stored therefore adds nothing to the rollups,
and a crash before COMMIT loses nothing: the message was not acked and comes again.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from libs.common.db import is_sqlite
from libs.common.db.models import ROLLUP_TABLES, StatsEvent
from libs.common.group_commit import GroupCommit
from libs.common.observability.logging import get_logger
from libs.common.spreadsheet import SafeCsvRows
from services.stats.rollup import RollupKey, rollup
from services.stats.unpack import StoredEvent

log = get_logger(__name__)

_EVENTS = cast(Table, StatsEvent.__table__)
_PARTITION_PREFIX = "stats_events_p"
EXPORT_COLUMNS = ("id", "occurred_at", "event", "account", "payload")
_UNNEST_INSERT = text(
    "INSERT INTO stats_events (id, occurred_at, event, account, payload, stored_at) "
    "SELECT i, o, e, a, CAST(p AS json), CAST(:now AS timestamptz) "
    "FROM unnest(CAST(:ids AS varchar[]), CAST(:times AS timestamptz[]), "
    "CAST(:events AS varchar[]), CAST(:accounts AS varchar[]), CAST(:payloads AS text[]))"
    " AS t(i, o, e, a, p) "
    "ON CONFLICT (id, occurred_at) DO NOTHING RETURNING id, occurred_at"
)


class EventStore:
    """Stores events in group commits; keeps partitions ahead and drops expired data."""

    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        *,
        max_items: int = 200,
        max_inflight: int = 2,
    ) -> None:
        self._engine = engine
        self._sessions = sessions
        self._sqlite = is_sqlite(engine)
        self._partitions: set[date] = set()
        # SQLite has one writer at a time; a second batch in flight would only wait for the lock.
        self._commits: GroupCommit[list[StoredEvent], list[StoredEvent]] = GroupCommit(
            self._write, max_items=max_items, max_inflight=1 if self._sqlite else max_inflight
        )

    async def store(self, events: list[StoredEvent]) -> list[StoredEvent]:
        """Store ``events`` (one message's); returns those that were not stored before."""
        return await self._commits.submit(events)

    async def drain(self) -> None:
        """Wait for the group commits in flight."""
        await self._commits.drain()

    async def _write(self, batches: list[list[StoredEvent]]) -> list[list[StoredEvent]]:
        unique: dict[tuple[str, datetime], StoredEvent] = {}
        for batch in batches:
            for event in batch:
                unique.setdefault((event.id, event.occurred_at), event)
        await self.ensure_partitions({event.occurred_at.date() for event in unique.values()})
        async with self._sessions.begin() as session:
            # Sorted, like the rollups: concurrent writers meet conflicting rows in one order.
            new_ids = await self._insert_raw(session, [unique[key] for key in sorted(unique)])
            fresh = [unique[key] for key in sorted(unique) if key in new_ids]
            await self._add_to_rollups(session, fresh)
        # The first message to carry an id gets it; a duplicate within the group is not new.
        seen: set[tuple[str, datetime]] = set()
        results: list[list[StoredEvent]] = []
        for batch in batches:
            mine = []
            for event in batch:
                key = (event.id, event.occurred_at)
                if key in new_ids and key not in seen:
                    seen.add(key)
                    mine.append(event)
            results.append(mine)
        return results

    async def _insert_raw(
        self, session: AsyncSession, events: list[StoredEvent]
    ) -> set[tuple[str, datetime]]:
        if not events:
            return set()
        now = datetime.now(UTC)
        if not self._sqlite:
            return await self._insert_raw_postgres(session, events, now)
        rows = [
            {
                "id": e.id,
                "occurred_at": e.occurred_at,
                "event": e.event,
                "account": e.account,
                "payload": e.payload,
                "stored_at": now,
            }
            for e in events
        ]
        statement = (
            sqlite.insert(_EVENTS)
            .on_conflict_do_nothing(index_elements=["id", "occurred_at"])
            .returning(_EVENTS.c.id, _EVENTS.c.occurred_at)
        )
        result = await session.execute(statement, rows)
        return {(row.id, _aware(row.occurred_at)) for row in result}

    async def _insert_raw_postgres(
        self, session: AsyncSession, events: list[StoredEvent], now: datetime
    ) -> set[tuple[str, datetime]]:
        # One statement over arrays (unnest) instead of a row-per-parameter-set insert: at
        # 10,000 events/s the per-row cost of building and binding parameters dominates. It goes
        # through the session, so it is part of the transaction that adds to the rollups.
        result = await session.execute(
            _UNNEST_INSERT,
            {
                "ids": [e.id for e in events],
                "times": [e.occurred_at for e in events],
                "events": [e.event for e in events],
                "accounts": [e.account for e in events],
                "payloads": [json.dumps(e.payload, ensure_ascii=False) for e in events],
                "now": now,
            },
        )
        return {(row.id, row.occurred_at) for row in result}

    async def _add_to_rollups(self, session: AsyncSession, events: list[StoredEvent]) -> None:
        if not events:
            return
        for grain, counts in rollup(events).items():
            table = ROLLUP_TABLES[grain]
            # Sorted, so concurrent writers lock rollup rows in the same order (no deadlocks).
            rows = [_rollup_row(key, n) for key, n in sorted(counts.items())]
            statement = self._insert(table)
            upsert = statement.on_conflict_do_update(
                index_elements=[column.name for column in table.primary_key.columns],
                set_={"count": table.c.count + statement.excluded.count},
            )
            await session.execute(upsert, rows)

    def _insert(self, table: Table) -> Any:
        return sqlite.insert(table) if self._sqlite else postgresql.insert(table)

    # --- partitions and retention -------------------------------------------------------

    async def ensure_partitions(self, days: set[date]) -> None:
        """Create the day partitions of ``days`` that do not exist yet (PostgreSQL only)."""
        missing = days - self._partitions
        if self._sqlite or not missing:
            self._partitions |= missing
            return
        for day in sorted(missing):
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            ddl = (
                f"CREATE TABLE IF NOT EXISTS {_PARTITION_PREFIX}{day:%Y%m%d} "
                f"PARTITION OF stats_events FOR VALUES FROM ('{start.isoformat()}') "
                f"TO ('{(start + timedelta(days=1)).isoformat()}')"
            )
            try:
                async with self._engine.begin() as conn:
                    await conn.execute(text(ddl))
            except DBAPIError:
                # Another stats instance created it at the same moment; it exists now.
                log.info("partition_race", day=day.isoformat())
            self._partitions.add(day)

    async def prune(self, *, now: datetime, raw_days: int, rollup_days: dict[str, int]) -> None:
        """Drop raw events older than ``raw_days`` and rollup rows older than their retention."""
        today = now.astimezone(UTC).date()
        raw_cutoff = today - timedelta(days=raw_days)
        if self._sqlite:
            async with self._sessions.begin() as session:
                cutoff = datetime(raw_cutoff.year, raw_cutoff.month, raw_cutoff.day, tzinfo=UTC)
                await session.execute(delete(StatsEvent).where(StatsEvent.occurred_at < cutoff))
        else:
            for day in await self.partition_days():
                if day < raw_cutoff:
                    async with self._engine.begin() as conn:
                        await conn.execute(text(f"DROP TABLE {_PARTITION_PREFIX}{day:%Y%m%d}"))
                    self._partitions.discard(day)
                    log.info("partition_dropped", day=day.isoformat())
        async with self._sessions.begin() as session:
            for grain, days in rollup_days.items():
                table = ROLLUP_TABLES[grain]
                await session.execute(
                    delete(table).where(table.c.bucket < now - timedelta(days=days))
                )

    async def partition_days(self) -> list[date]:
        """The days that have a partition (PostgreSQL), oldest first."""
        query = text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'stats_events'"
        )
        async with self._engine.connect() as conn:
            names = (await conn.execute(query)).scalars().all()
        days = []
        for name in names:
            if name.startswith(_PARTITION_PREFIX):
                days.append(datetime.strptime(name[len(_PARTITION_PREFIX) :], "%Y%m%d").date())
        return sorted(days)


async def export_day(
    sessions: async_sessionmaker[AsyncSession], day: date, fmt: str
) -> AsyncIterator[str]:
    """The raw events of one UTC day as CSV (with a header) or JSON lines, in time order."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    query = (
        select(StatsEvent)
        .where(StatsEvent.occurred_at >= start, StatsEvent.occurred_at < start + timedelta(days=1))
        .order_by(StatsEvent.occurred_at, StatsEvent.id)
        .execution_options(yield_per=1000)
    )
    csv_rows = SafeCsvRows()
    if fmt == "csv":
        yield csv_rows.render(EXPORT_COLUMNS)
    async with sessions() as session:
        async for event in await session.stream_scalars(query):
            values = {
                "id": event.id,
                "occurred_at": event.occurred_at.isoformat(),
                "event": event.event,
                "account": event.account,
                "payload": event.payload,
            }
            if fmt == "csv":
                values["payload"] = json.dumps(event.payload, ensure_ascii=False)
                yield csv_rows.render(values[column] for column in EXPORT_COLUMNS)
            else:
                yield json.dumps(values, ensure_ascii=False) + "\n"


def _rollup_row(key: RollupKey, count: int) -> dict[str, Any]:
    return {
        "bucket": key.bucket,
        "event": key.event,
        "account": key.account,
        "kind": key.kind,
        "channel": key.channel,
        "priority": key.priority,
        "outcome": key.outcome,
        "reason": key.reason,
        "errcode": key.errcode,
        "latency_le_ms": key.latency_le_ms,
        "count": count,
    }


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
