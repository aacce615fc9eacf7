"""What the migration tests share: SQL run against a database at any revision (no models,
which follow the newest one), the account their rows belong to, and the round trip of a
migration that seals stored values under the platform key."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

import pytest
from alembic import command
from sqlalchemy import text

from libs.common.db import make_engine
from libs.common.db.migrate import alembic_config, upgrade
from libs.common.secret_box import SecretBox
from tests.services.admin_api.support import scratch_postgres


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


class SealingRoundTrip:
    """A migration that seals stored values under the environment's platform key: rows seeded
    at ``parent`` are sealed by ``revision`` and come back in clear on downgrade, on SQLite and
    on PostgreSQL. A ``Test*`` subclass names the revisions, the key and the scratch database,
    and writes the three steps."""

    revision: ClassVar[str]
    parent: ClassVar[str]
    key: ClassVar[str]
    database: ClassVar[str]

    def seed(self, url: str) -> None:
        """Insert the rows to seal (at ``parent``, account ``m`` exists)."""
        raise NotImplementedError

    def check_sealed(self, url: str, box: SecretBox) -> None:
        """Assert what ``revision`` made of the seeded rows."""
        raise NotImplementedError

    def check_opened(self, url: str) -> None:
        """Assert the seeded rows are back in clear after the downgrade to ``parent``."""
        raise NotImplementedError

    @pytest.fixture(autouse=True)
    def _platform_key(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("WXHUB_SECRET_KEY", self.key)
        monkeypatch.delenv("WXHUB_PREVIOUS_SECRET_KEYS", raising=False)

    def round_trip(self, url: str) -> None:
        upgrade(url, self.parent)
        add_account(url)
        self.seed(url)
        upgrade(url, self.revision)
        self.check_sealed(url, SecretBox(self.key))
        command.downgrade(alembic_config(url), self.parent)
        self.check_opened(url)
        upgrade(url)

    def test_round_trip_sqlite(self, tmp_path: Path) -> None:
        self.round_trip(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")

    @pytest.mark.postgres
    def test_round_trip_postgres(self, postgres_url: str) -> None:
        with scratch_postgres(postgres_url, self.database) as url:
            self.round_trip(url)
