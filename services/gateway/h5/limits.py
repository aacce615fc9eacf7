"""Counting customers' operations against their daily caps (R-EN-10).

One row per (account, openid, operation, Beijing day); taking a unit is a single upsert that
adds one only while the count is below the cap, so concurrent requests on several replicas
never exceed it. A refused operation is not counted. Caps come from the account
(``accounts.operation_limits``) or the platform default (``libs/common/operation_limits.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db.models import Account, OperationCount
from libs.common.operation_limits import OPERATIONS, counting_day, daily_limit

_COUNTS = cast(Table, OperationCount.__table__)


@dataclass(frozen=True, slots=True)
class LimitReached:
    """The operation was refused: the day's cap is used up."""

    operation: str
    limit: int

    @property
    def label(self) -> str:
        """How the customer is told which operation it was."""
        return OPERATIONS[self.operation]


class DailyLimits:
    """Takes one unit of an operation for a follower, or says the day's cap is reached."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], defaults: Mapping[str, int]
    ) -> None:
        self._sessions = sessions
        self._defaults = dict(defaults)

    async def take(self, account_id: int, openid: str, operation: str) -> LimitReached | None:
        """Count one ``operation`` for today; :class:`LimitReached` (nothing counted) if over."""
        async with self._sessions.begin() as session:
            return await self.take_in(session, account_id, openid, operation)

    async def take_in(
        self, session: AsyncSession, account_id: int, openid: str, operation: str
    ) -> LimitReached | None:
        """:meth:`take` inside the caller's transaction: the unit counts only if it commits."""
        overrides = await session.scalar(
            select(Account.operation_limits).where(Account.id == account_id)
        )
        limit = daily_limit(operation, self._defaults, overrides)
        insert = (
            postgresql.insert(_COUNTS)
            if session.get_bind().dialect.name == "postgresql"
            else sqlite.insert(_COUNTS)
        )
        statement: Any = insert.values(
            account_id=account_id,
            openid=openid,
            operation=operation,
            day=counting_day(),
            count=1,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["account_id", "openid", "operation", "day"],
            set_={"count": _COUNTS.c.count + 1},
            where=_COUNTS.c.count < limit,
        ).returning(_COUNTS.c.count)
        taken = (await session.execute(statement)).first()
        return None if taken is not None else LimitReached(operation, limit)

    async def purge(self, now: datetime) -> int:
        """Forget the counts of days before yesterday; returns how many rows."""
        before = counting_day(now - timedelta(days=1))
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(OperationCount).where(OperationCount.day < before)
            )
        return int(getattr(result, "rowcount", 0) or 0)
