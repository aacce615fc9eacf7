"""Async engines and session factories for PostgreSQL (production) and SQLite (embedded default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def make_engine(
    url: str, *, pool_size: int = 10, pre_ping: bool = False, echo: bool = False
) -> AsyncEngine:
    """Create an async engine; SQLite gets WAL and a busy timeout so services can share one file.

    PostgreSQL connections are recycled after 30 minutes (firewalls and poolers drop idle ones).
    Without ``pre_ping`` (three round trips per checkout on asyncpg) a pooled connection the
    server has closed, as on a PostgreSQL restart, is still replaced at checkout: the driver
    already knows it is closed. One that dies unnoticed fails its statement, which marks the
    whole pool stale so the other connections are replaced too.
    """
    if make_url(url).get_backend_name() == "sqlite":
        ensure_sqlite_folder(url)
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=pre_ping,
        pool_recycle=1800,
    )
    if not pre_ping:
        event.listen(engine.sync_engine, "checkout", _replace_closed)
    return engine


def _replace_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled connection the server closed (no round trip: the driver saw the close).

    The pool then replaces it and every connection opened before it, as ``pre_ping`` would.
    """
    driver = getattr(dbapi_connection, "driver_connection", None)
    is_closed = getattr(driver, "is_closed", None)
    if is_closed is not None and is_closed():
        raise exc.InvalidatePoolError("the server closed this pooled connection")


def ensure_sqlite_folder(url: str) -> None:
    """Create the folder of a SQLite file (``var/`` does not exist in a fresh clone)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return
    if (
        parsed.database
        and parsed.database != ":memory:"
        and not parsed.database.startswith("file:")
    ):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """One session factory per process; sessions don't expire objects on commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


def is_sqlite(engine: AsyncEngine) -> bool:
    """Whether the engine talks to SQLite (some statements differ, e.g. locking)."""
    return engine.dialect.name == "sqlite"
