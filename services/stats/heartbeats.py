"""The last heartbeat of every service instance (:class:`ServiceHeartbeat`), for the admin overview.

Each beat overwrites its instance's row, an upsert on (service, instance) that keeps the newer of
two beats arriving out of order. Beats are liveness, not events: one that cannot be written is
dropped rather than retried (the next comes within the heartbeat interval), and instances silent
for longer than the retention are pruned.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db.models import ServiceHeartbeat
from libs.common.schemas.events import HeartbeatSent

_TABLE = cast(Table, ServiceHeartbeat.__table__)


class HeartbeatBook:
    """Writes each instance's latest beat; prunes instances long silent."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, sqlite_db: bool) -> None:
        self._sessions = sessions
        self._sqlite = sqlite_db

    async def record(self, beat: HeartbeatSent) -> None:
        """Store ``beat`` as its instance's latest (an older beat changes nothing)."""
        insert: Any = sqlite.insert(_TABLE) if self._sqlite else postgresql.insert(_TABLE)
        statement = insert.values(
            service=beat.service[:32],
            instance_id=beat.instance_id[:128],
            last_seen_at=beat.occurred_at,
            uptime_s=beat.uptime_s,
            details=beat.details,
        )
        upsert = statement.on_conflict_do_update(
            index_elements=[_TABLE.c.service, _TABLE.c.instance_id],
            set_={
                "last_seen_at": statement.excluded.last_seen_at,
                "uptime_s": statement.excluded.uptime_s,
                "details": statement.excluded.details,
            },
            where=_TABLE.c.last_seen_at < statement.excluded.last_seen_at,
        )
        async with self._sessions.begin() as session:
            await session.execute(upsert)

    async def prune(self, *, before: datetime) -> int:
        """Forget instances whose last beat is older than ``before``; returns how many."""
        async with self._sessions.begin() as session:
            result: Any = await session.execute(
                delete(ServiceHeartbeat).where(ServiceHeartbeat.last_seen_at < before)
            )
        return int(result.rowcount or 0)
