"""Fixtures of the notification package tests: a seeded SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.services.gateway.api.support import seed_database


@pytest.fixture
async def db_url(tmp_path: Path) -> str:
    """A migrated SQLite database with the demo data."""
    url = f"sqlite+aiosqlite:///{tmp_path}/wxhub.db"
    await seed_database(url)
    return url
