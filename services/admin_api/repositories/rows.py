"""ORM rows by primary key, whatever their table: get, add, change, delete (flushed, never
committed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


async def get(session: AsyncSession, model: type[T], key: Any) -> T | None:
    """The ``model`` row with primary key ``key``, if any."""
    return await session.get(model, key)


async def add(session: AsyncSession, row: T) -> T:
    """Insert a new row; flushed, so it has its id."""
    session.add(row)
    await session.flush()
    return row


async def add_all(session: AsyncSession, rows: Iterable[Any]) -> None:
    """Insert several new rows."""
    session.add_all(rows)
    await session.flush()


async def update(session: AsyncSession, row: Any, changes: Mapping[str, Any]) -> None:
    """Apply ``changes`` (column → value) to a loaded row."""
    for key, value in changes.items():
        setattr(row, key, value)
    await session.flush()


async def delete(session: AsyncSession, row: Any) -> None:
    """Delete a loaded row."""
    await session.delete(row)
    await session.flush()


async def reload(session: AsyncSession, row: Any) -> None:
    """Re-read a loaded row from the database (e.g. after taking a lock)."""
    await session.refresh(row)
