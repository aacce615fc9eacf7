"""Stored menus of an account: the default menu (one) and its conditional menus."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Menu


async def get_default(session: AsyncSession, *, account_id: int) -> Menu | None:
    """The account's default menu, if one was saved."""
    return await session.scalar(
        select(Menu).where(Menu.account_id == account_id, Menu.kind == "default")
    )


async def list_conditional(session: AsyncSession, *, account_id: int) -> list[Menu]:
    """The account's conditional menus, oldest first (WeChat matches them in that order)."""
    return list(
        await session.scalars(
            select(Menu)
            .where(Menu.account_id == account_id, Menu.kind == "conditional")
            .order_by(Menu.id)
        )
    )


async def mark_published(
    session: AsyncSession,
    *,
    menus: list[tuple[Menu, str | None]],
    at: datetime,
    by: int | None,
) -> None:
    """Record what WeChat now serves: each menu with its WeChat menuid (None for the default)."""
    for menu, menuid in menus:
        menu.wechat_menuid = menuid
        menu.published_at = at
        menu.published_by = by
    await session.flush()


async def mark_unpublished(session: AsyncSession, *, account_id: int) -> None:
    """WeChat serves none of the account's menus any more (the drafts stay)."""
    for menu in await session.scalars(select(Menu).where(Menu.account_id == account_id)):
        menu.wechat_menuid = None
        menu.published_at = None
    await session.flush()
