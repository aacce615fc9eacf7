"""The event store: raw events once per id, rollups in the same transaction, retention, export."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.common.db import is_sqlite, make_sessionmaker
from libs.common.db.models import ROLLUP_TABLES, StatsEvent
from services.stats.store import EventStore, export_day
from services.stats.unpack import StoredEvent, unpack
from tests.services.stats.events import T0, delivered_batch, fallback_batch, inbound_batch
from wxhub.stats_export import write_day


def _events(key: str, body: bytes) -> list[StoredEvent]:
    return unpack(key, body).events


async def _raw_count(engine: AsyncEngine) -> int:
    async with make_sessionmaker(engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(StatsEvent)) or 0)


async def _rollup_total(engine: AsyncEngine, grain: str, event: str) -> int:
    table = ROLLUP_TABLES[grain]
    query = select(func.coalesce(func.sum(table.c.count), 0)).where(table.c.event == event)
    async with engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def test_events_are_stored_and_rolled_up_per_grain(store_engine: AsyncEngine) -> None:
    store = EventStore(store_engine, make_sessionmaker(store_engine))
    fresh = await store.store(_events("delivery.delivered", delivered_batch(7).to_bytes()))
    assert len(fresh) == 7
    await store.store(_events("inbound.handled", inbound_batch(["text", "image"]).to_bytes()))
    assert await _raw_count(store_engine) == 9
    for grain in ("minute", "hour", "day"):
        assert await _rollup_total(store_engine, grain, "delivery.delivered") == 7
        assert await _rollup_total(store_engine, grain, "inbound.handled") == 2
    table = ROLLUP_TABLES["minute"]
    async with store_engine.connect() as conn:
        row = (await conn.execute(select(table).where(table.c.event == "delivery.delivered"))).one()
    assert row.bucket == T0.replace(second=0)
    assert (row.channel, row.priority, row.outcome, row.latency_le_ms) == (
        "wechat_template",
        "alert",
        "delivered",
        500,
    )


async def test_a_redelivered_batch_adds_nothing(store_engine: AsyncEngine) -> None:
    store = EventStore(store_engine, make_sessionmaker(store_engine))
    body = fallback_batch(5).to_bytes()
    assert len(await store.store(_events("delivery.fallback_sent", body))) == 5
    # The same message again (a redelivery after a crash before the ack), also concurrently.
    again = await asyncio.gather(
        store.store(_events("delivery.fallback_sent", body)),
        store.store(_events("delivery.fallback_sent", body)),
    )
    assert list(again) == [[], []]
    assert await _raw_count(store_engine) == 5
    assert await _rollup_total(store_engine, "day", "delivery.fallback_sent") == 5


async def test_concurrent_messages_share_commits_and_each_learns_its_new_events(
    store_engine: AsyncEngine,
) -> None:
    store = EventStore(store_engine, make_sessionmaker(store_engine))
    batches = [delivered_batch(10) for _ in range(20)]
    first = batches[0].to_bytes()
    results = await asyncio.gather(
        *(store.store(_events("delivery.delivered", b.to_bytes())) for b in batches),
        store.store(_events("delivery.delivered", first)),  # a duplicate in the same group
    )
    assert [len(r) for r in results] == [10] * 20 + [0]
    assert await _rollup_total(store_engine, "hour", "delivery.delivered") == 200


async def test_events_of_a_day_without_a_partition_still_land(store_engine: AsyncEngine) -> None:
    store = EventStore(store_engine, make_sessionmaker(store_engine))
    old = T0 - timedelta(days=40)
    await store.store(_events("delivery.delivered", delivered_batch(2, at=old).to_bytes()))
    assert await _raw_count(store_engine) == 2
    if not is_sqlite(store_engine):
        assert old.date() in await store.partition_days()


async def test_prune_drops_expired_raw_events_and_rollups(store_engine: AsyncEngine) -> None:
    store = EventStore(store_engine, make_sessionmaker(store_engine))
    old = T0 - timedelta(days=20)
    await store.store(_events("delivery.delivered", delivered_batch(3, at=old).to_bytes()))
    await store.store(_events("delivery.delivered", delivered_batch(4, at=T0).to_bytes()))
    await store.prune(now=T0, raw_days=14, rollup_days={"minute": 3, "hour": 90, "day": 3650})
    assert await _raw_count(store_engine) == 4
    assert await _rollup_total(store_engine, "minute", "delivery.delivered") == 4
    assert await _rollup_total(store_engine, "hour", "delivery.delivered") == 7
    if not is_sqlite(store_engine):
        assert old.date() not in await store.partition_days()
        async with store_engine.connect() as conn:
            names = (
                await conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE tablename LIKE 'stats_events_p%'")
                )
            ).scalars()
            assert f"stats_events_p{old:%Y%m%d}" not in set(names)


async def test_export_of_a_day_in_csv_and_json_lines(store_engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(store_engine)
    store = EventStore(store_engine, sessions)
    batch = fallback_batch(2)
    await store.store(_events("delivery.fallback_sent", batch.to_bytes()))
    other_day = datetime(2026, 12, 8, 0, 0, 1, tzinfo=UTC)
    await store.store(_events("delivery.delivered", delivered_batch(1, at=other_day).to_bytes()))

    lines = [line async for line in export_day(sessions, T0.date(), "jsonl")]
    rows = [json.loads(line) for line in lines]
    assert {row["id"] for row in rows} == {item.message_id for item in batch.items}
    assert rows[0]["payload"]["reason"] == "not_following"

    csv_lines = [line async for line in export_day(sessions, T0.date(), "csv")]
    assert csv_lines[0].strip() == "id,occurred_at,event,account,payload"
    assert len(csv_lines) == 3


async def test_the_export_command_writes_the_day(
    store_db: str, store_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EventStore(store_engine, make_sessionmaker(store_engine))
    await store.store(_events("delivery.delivered", delivered_batch(3).to_bytes()))
    monkeypatch.setenv("WXHUB_DATABASE_URL", store_db)  # configuration, as an operator sets it
    out = io.StringIO()
    assert await write_day(T0.date(), "jsonl", out) == 3
    assert len(out.getvalue().splitlines()) == 3


async def test_raw_events_and_rollups_commit_or_roll_back_together(
    store_engine: AsyncEngine,
) -> None:
    # A crash between the raw insert and the rollups must leave neither: otherwise the
    # redelivery would find the ids stored and the rollups would never count them.
    sessions = make_sessionmaker(store_engine)
    store = EventStore(store_engine, sessions)
    events = _events("delivery.delivered", delivered_batch(3).to_bytes())
    await store.ensure_partitions({T0.date()})
    async with sessions() as session:
        inserted = await store._insert_raw(session, events)
        assert len(inserted) == 3
        await session.rollback()
    assert await _raw_count(store_engine) == 0
    assert len(await store.store(events)) == 3
    assert await _rollup_total(store_engine, "day", "delivery.delivered") == 3
