"""Migration 0024: the numbers stored on notifications become ciphertext under the environment's
platform key, and come back in clear on downgrade, on both backends."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic import command

from libs.common.db.migrate import alembic_config, upgrade
from libs.common.secret_box import SecretBox
from tests.libs.common.db.support import add_account, execute
from tests.services.admin_api.support import scratch_postgres

KEY = "migration-0024-test-key"
REVISION = "0024"
PARENT = "0023"


def _round_trip(url: str) -> None:
    upgrade(url, PARENT)
    add_account(url)
    recipients = (
        ("n1", "C00000042", "13800000042"),
        ("n2", None, "13900000007"),
        ("n3", None, None),
    )
    for nid, number, phone in recipients:
        asyncio.run(
            execute(
                url,
                "INSERT INTO notifications (id, account_id, event_type, priority, openid,"
                " customer_no, phone, data, fallback, deadline_at, status, attempts,"
                " created_at, updated_at)"
                " SELECT :id, id, 'e', 'alert', 'o', :no, :phone, '{}', 'sms',"
                " CURRENT_TIMESTAMP, 'accepted', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP"
                " FROM accounts WHERE code = 'm'",
                id=nid,
                no=number,
                phone=phone,
            )
        )

    upgrade(url, REVISION)
    rows = asyncio.run(
        execute(url, "SELECT id, customer_no_enc, phone_enc FROM notifications ORDER BY id")
    )
    box = SecretBox(KEY)
    n1, n2, n3 = rows
    assert "C00000042" not in n1[1]
    assert "13800000042" not in n1[2]
    assert (box.decrypt(n1[1]), box.decrypt(n1[2])) == ("C00000042", "13800000042")
    assert n2[1] is None
    assert box.decrypt(n2[2]) == "13900000007"
    assert tuple(n3) == ("n3", None, None)

    command.downgrade(alembic_config(url), PARENT)
    back = asyncio.run(execute(url, "SELECT id, customer_no, phone FROM notifications ORDER BY id"))
    assert [tuple(r) for r in back] == list(recipients)
    upgrade(url)


@pytest.fixture(autouse=True)
def _platform_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WXHUB_SECRET_KEY", KEY)
    monkeypatch.delenv("WXHUB_PREVIOUS_SECRET_KEYS", raising=False)


def test_round_trip_sqlite(tmp_path: Path) -> None:
    _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")


@pytest.mark.postgres
def test_round_trip_postgres(postgres_url: str) -> None:
    with scratch_postgres(postgres_url, "wxhub_mig_notif_recipients") as url:
        _round_trip(url)
