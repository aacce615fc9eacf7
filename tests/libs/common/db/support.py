"""What the migration tests share: SQL run against a database at any revision (no models,
which follow the newest one), and the account their rows belong to."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text

from libs.common.db import make_engine


async def execute(url: str, sql: str, **params: Any) -> list[Any]:
    """Run ``sql`` in a transaction of its own; the rows it returns, if any."""
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


def add_account(url: str) -> None:
    """The account with code ``m`` that the tests' rows refer to."""
    asyncio.run(
        execute(
            url,
            "INSERT INTO accounts (code, name, appid, original_id, mode, app_secret_enc,"
            " token_enc, welcome_text, help_header, enabled, created_at, updated_at)"
            " VALUES ('m', 'm', 'wxm', 'gh_m', 'plaintext', 'x', 'x', '', '', true,"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        )
    )
