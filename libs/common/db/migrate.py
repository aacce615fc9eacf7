"""Run the Alembic migrations programmatically (``wxhub migrate`` and service start-up in dev)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
from alembic import command
from alembic.config import Config

from libs.common.db.engine import ensure_sqlite_folder

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# pg_advisory_lock key of ``upgrade`` (any constant; "wxhubmig" in ASCII).
MIGRATION_LOCK_KEY = 0x7778687562_6D6967


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at our migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to ``revision`` (blocking; call from a thread inside an event loop)."""
    ensure_sqlite_folder(database_url)
    with _migration_lock(database_url):
        command.upgrade(alembic_config(database_url), revision)


@contextlib.contextmanager
def _migration_lock(database_url: str) -> Iterator[None]:
    """On PostgreSQL, one ``upgrade`` at a time: every replica's init container may run
    ``wxhub migrate`` at once; the first migrates, the others wait and then find nothing to do."""
    if not database_url.startswith("postgresql"):
        yield
        return
    dsn = urlsplit(database_url)._replace(scheme="postgresql").geturl()
    # A loop of our own: the caller is a plain thread (Alembic's env.py runs its own loop).
    loop = asyncio.new_event_loop()
    try:
        conn = loop.run_until_complete(asyncpg.connect(dsn))
        try:
            loop.run_until_complete(conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY))
            yield
        finally:
            # Closing the session releases the lock, also when the upgrade failed.
            loop.run_until_complete(conn.close())
    finally:
        loop.close()


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    """``upgrade`` without blocking the running event loop."""
    await asyncio.to_thread(upgrade, database_url, revision)
