"""Customer-service windows (docs/wechat-protocol.md §8.2): open, take one send, close."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from types import ModuleType
from typing import cast

from sqlalchemy import Table, and_, bindparam, not_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from libs.common.db.models import (
    ServiceWindow,
)
from libs.common.db.prepared import Prepared

# Core table for the per-message statements (a window opened per interaction, one send taken
# per custom message): no ORM bulk preparation or synchronisation of loaded objects.
_WINDOWS = cast(Table, ServiceWindow.__table__)
_W = _WINDOWS.c


_USE_WINDOW = Prepared(
    lambda _dialect: (
        update(_WINDOWS)
        .where(
            # Not the column names: an UPDATE reserves those for its SET clause.
            _W.account_id == bindparam("of_account"),
            _W.openid == bindparam("of_openid"),
            _W.expires_at > bindparam("now"),
            _W.used < _W.quota,
        )
        .values(used=_W.used + 1)
    )
)


async def use_window(session: AsyncSession, *, account_id: int, openid: str, now: datetime) -> bool:
    """Take one send from the user's open customer-service window; False when none is left."""
    result = await session.execute(
        _USE_WINDOW.for_session(session),
        {"of_account": account_id, "of_openid": openid, "now": now},
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def open_windows(
    session: AsyncSession, *, account_id: int, openids: Sequence[str], now: datetime
) -> set[str]:
    """The openids among ``openids`` that have an open window with quota left (one query)."""
    result = await session.execute(
        select(ServiceWindow.openid).where(
            ServiceWindow.account_id == account_id,
            ServiceWindow.openid.in_(list(openids)),
            ServiceWindow.expires_at > now,
            ServiceWindow.used < ServiceWindow.quota,
        )
    )
    return set(result.scalars())


async def close_window(
    session: AsyncSession, *, account_id: int, openid: str, now: datetime
) -> None:
    """Mark a window closed or exhausted after WeChat said so (45015/45047)."""
    await session.execute(
        update(ServiceWindow)
        .where(ServiceWindow.account_id == account_id, ServiceWindow.openid == openid)
        .values(expires_at=now)
    )


def _open_window(dialect: ModuleType, *, event: bool) -> Executable:
    statement = dialect.insert(_WINDOWS).values(
        account_id=bindparam("account_id"),
        openid=bindparam("openid"),
        kind=bindparam("kind"),
        opened_at=bindparam("now"),
        expires_at=bindparam("expires_at"),
        quota=bindparam("quota"),
        used=0,
    )
    live_message_window = and_(
        _W.kind == "message",
        _W.expires_at > bindparam("now"),
        _W.used < _W.quota,
    )
    upsert: Executable = statement.on_conflict_do_update(
        index_elements=[_W.account_id, _W.openid],
        set_={
            "kind": statement.excluded.kind,
            "opened_at": statement.excluded.opened_at,
            "expires_at": statement.excluded.expires_at,
            "quota": statement.excluded.quota,
            "used": 0,
        },
        where=not_(live_message_window) if event else None,
    )
    return upsert


_OPEN_MESSAGE_WINDOW = Prepared(lambda dialect: _open_window(dialect, event=False))
_OPEN_EVENT_WINDOW = Prepared(lambda dialect: _open_window(dialect, event=True))


async def open_window(
    session: AsyncSession,
    *,
    account_id: int,
    openid: str,
    kind: str,
    now: datetime,
    duration: timedelta,
    quota: int,
) -> None:
    """Open (or renew) a window after an interaction; a short event window never shortens an
    open message window that still has sends left. One statement (an upsert), no read first."""
    prepared = _OPEN_EVENT_WINDOW if kind == "event" else _OPEN_MESSAGE_WINDOW
    await session.execute(
        prepared.for_session(session),
        {
            "account_id": account_id,
            "openid": openid,
            "kind": kind,
            "now": now,
            "expires_at": now + duration,
            "quota": quota,
        },
    )
