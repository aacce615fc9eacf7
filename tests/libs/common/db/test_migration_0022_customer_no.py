"""Migration 0022: stored customer numbers become ciphertext + lookup token
under the environment's platform key, and come back in clear on downgrade, on both backends."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic import command

from libs.common.customer_numbers import PURPOSE, opened
from libs.common.db.migrate import alembic_config, upgrade
from libs.common.secret_box import SecretBox
from tests.libs.common.db.support import add_account, execute
from tests.services.admin_api.support import scratch_postgres

KEY = "migration-0019-test-key"
REVISION = "0022"
PARENT = "0021"


def _round_trip(url: str) -> None:
    upgrade(url, PARENT)
    add_account(url)
    for openid, number in (("oBound", "C00000042"), ("oPlain", None)):
        asyncio.run(
            execute(
                url,
                "INSERT INTO customers (account_id, openid, subscribed, subscribe_scene,"
                " binding_state, customer_no, created_at, updated_at)"
                " SELECT id, :openid, true, '', 'bound', :no, CURRENT_TIMESTAMP,"
                " CURRENT_TIMESTAMP FROM accounts WHERE code = 'm'",
                openid=openid,
                no=number,
            )
        )

    upgrade(url, REVISION)
    rows = asyncio.run(
        execute(
            url,
            "SELECT openid, customer_no_enc, customer_no_token FROM customers ORDER BY openid",
        )
    )
    box = SecretBox(KEY)
    bound = rows[0]
    assert bound[0] == "oBound"
    assert "C00000042" not in bound[1]
    assert opened(box, bound[1]) == "C00000042"
    assert bound[2] == box.token("C00000042", PURPOSE)
    assert tuple(rows[1]) == ("oPlain", None, None)

    command.downgrade(alembic_config(url), PARENT)
    back = asyncio.run(execute(url, "SELECT openid, customer_no FROM customers ORDER BY openid"))
    assert [tuple(r) for r in back] == [("oBound", "C00000042"), ("oPlain", None)]
    upgrade(url)


@pytest.fixture(autouse=True)
def _platform_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WXHUB_SECRET_KEY", KEY)
    monkeypatch.delenv("WXHUB_PREVIOUS_SECRET_KEYS", raising=False)


def test_round_trip_sqlite(tmp_path: Path) -> None:
    _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")


@pytest.mark.postgres
def test_round_trip_postgres(postgres_url: str) -> None:
    with scratch_postgres(postgres_url, "wxhub_mig_custno") as url:
        _round_trip(url)
