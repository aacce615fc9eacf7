"""Customer-service windows (docs/wechat-protocol.md §8.2): open, take one send, close."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import (
    ServiceWindow,
)


async def use_window(session: AsyncSession, *, account_id: int, openid: str, now: datetime) -> bool:
    """Take one send from the user's open customer-service window; False when none is left."""
    result = await session.execute(
        update(ServiceWindow)
        .where(
            ServiceWindow.account_id == account_id,
            ServiceWindow.openid == openid,
            ServiceWindow.expires_at > now,
            ServiceWindow.used < ServiceWindow.quota,
        )
        .values(used=ServiceWindow.used + 1)
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
    open message window that still has sends left."""
    window = await session.get(ServiceWindow, (account_id, openid), with_for_update=False)
    if window is None:
        session.add(
            ServiceWindow(
                account_id=account_id,
                openid=openid,
                kind=kind,
                opened_at=now,
                expires_at=now + duration,
                quota=quota,
                used=0,
            )
        )
        return
    live_message_window = (
        window.kind == "message" and window.expires_at > now and window.used < window.quota
    )
    if kind == "event" and live_message_window:
        return
    window.kind = kind
    window.opened_at = now
    window.expires_at = now + duration
    window.quota = quota
    window.used = 0
