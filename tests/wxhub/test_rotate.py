"""``wxhub rotate-secrets``: after it, every stored secret decrypts with the new key alone."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from libs.common.customer_numbers import PURPOSE
from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.models import AccessToken, Account, BusinessSystem, Customer, Notification
from libs.common.secret_box import SecretBox, SecretBoxError
from libs.common.settings import CommonSettings
from wxhub.dev import seed
from wxhub.processes import REPO_ROOT
from wxhub.rotate import ENCRYPTED_COLUMNS

OLD, NEW = "old-key-for-rotation-test", "new-key-for-rotation-test"


async def _stored_values(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            values: list[str] = []
            for model, columns in ENCRYPTED_COLUMNS:
                for row in (await session.scalars(select(model))).all():
                    values.extend(v for c in columns if (v := getattr(row, c)))
            return values
    finally:
        await engine.dispose()


async def _customer_numbers(url: str) -> list[tuple[str, str]]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = await session.execute(
                select(Customer.customer_no_enc, Customer.customer_no_token).where(
                    Customer.customer_no_enc.is_not(None)
                )
            )
            return [(str(enc), str(token)) for enc, token in rows.all()]
    finally:
        await engine.dispose()


def _rotate_secrets(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wxhub.cli", "rotate-secrets"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_rotation_moves_every_stored_secret_to_the_new_key(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'rotate.db'}"
    await seed(CommonSettings(database_url=url, secret_key=OLD))
    engine = make_engine(url)
    async with make_sessionmaker(engine).begin() as session:
        account = await session.scalar(select(Account))
        assert account is not None
        session.add(
            AccessToken(account_id=account.id, token=SecretBox(OLD).encrypt("tok"), generation=1)
        )
        deadline = datetime.now(UTC) + timedelta(minutes=1)
        session.add_all(
            [
                Notification(
                    id="n-sealed",
                    account_id=account.id,
                    event_type="balance_change",
                    customer_no_enc=SecretBox(OLD).encrypt("C00000001"),
                    phone_enc=SecretBox(OLD).encrypt("13800000001"),
                    deadline_at=deadline,
                ),
                Notification(
                    id="n-openid",
                    account_id=account.id,
                    event_type="balance_change",
                    openid="o-only",
                    deadline_at=deadline,
                ),
            ]
        )
    await engine.dispose()
    before = await _stored_values(url)
    assert len(before) >= 4  # app secret, token, AES key, business-system secret, access token
    assert {m for m, _ in ENCRYPTED_COLUMNS} >= {Account, BusinessSystem, AccessToken, Notification}

    env = {
        **os.environ,
        "WXHUB_DATABASE_URL": url,
        "WXHUB_SECRET_KEY": NEW,
        "WXHUB_PREVIOUS_SECRET_KEYS": f'["{OLD}"]',
    }
    done = _rotate_secrets(env)
    assert done.returncode == 0, done.stderr
    assert f"re-encrypted {len(before)} stored secrets" in done.stdout

    after = await _stored_values(url)
    new_only, old_only = SecretBox(NEW), SecretBox(OLD)
    assert [new_only.decrypt(v) for v in after] == [old_only.decrypt(v) for v in before]
    for value in after:
        with pytest.raises(SecretBoxError):
            old_only.decrypt(value)
    # The numbers stored on notifications are among them.
    assert {"C00000001", "13800000001"} <= {new_only.decrypt(v) for v in after}
    # Customer numbers' lookup tokens follow the new key.
    numbers = await _customer_numbers(url)
    assert numbers
    for enc, token in numbers:
        assert token == new_only.token(new_only.decrypt(enc), PURPOSE)


async def test_rotation_without_the_old_key_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'rotate.db'}"
    await seed(CommonSettings(database_url=url, secret_key=OLD))
    before = await _stored_values(url)
    env = {**os.environ, "WXHUB_DATABASE_URL": url, "WXHUB_SECRET_KEY": NEW}
    env.pop("WXHUB_PREVIOUS_SECRET_KEYS", None)
    done = _rotate_secrets(env)
    assert done.returncode != 0
    assert "cannot be decrypted" in done.stderr
    assert await _stored_values(url) == before
