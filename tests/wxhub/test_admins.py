"""``wxhub create-admin``: the first administrator of an empty installation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.models import AdminUser, AuditEntry, Org, Role
from libs.common.settings import CommonSettings
from services.admin_api.permissions import ALL_PERMISSIONS
from services.admin_api.security import verify_password
from wxhub.admins import AdminNotCreated, create_admin


@pytest.fixture
def settings(tmp_path: Path) -> CommonSettings:
    return CommonSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/db/wxhub.db", env="test")


async def _rows(settings: CommonSettings, model: Any) -> list[Any]:
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return list(await session.scalars(select(model).order_by(model.id)))
    finally:
        await engine.dispose()


async def test_first_admin_gets_a_root_org_and_every_permission(settings: CommonSettings) -> None:
    created = await create_admin(settings, "ops", "Fund-ops-2025!", display_name="运营")
    [org] = await _rows(settings, Org)
    [role] = await _rows(settings, Role)
    [user] = await _rows(settings, AdminUser)
    assert (org.code, org.parent_id, org.path) == ("HQ", None, f"/{org.id}/")
    assert sorted(role.permissions) == sorted(ALL_PERMISSIONS)
    assert (user.id, user.username, user.display_name, user.org_id) == (
        created.user_id,
        "ops",
        "运营",
        org.id,
    )
    assert verify_password(user.password_hash, "Fund-ops-2025!")
    assert not verify_password(user.password_hash, "wrong")
    [audit] = await _rows(settings, AuditEntry)
    assert (audit.action, audit.entity, audit.entity_id) == ("create", "user", str(user.id))


async def test_a_second_admin_reuses_org_and_role(settings: CommonSettings) -> None:
    first = await create_admin(settings, "ops", "Fund-ops-2025!")
    second = await create_admin(settings, "ops2", "Fund-ops-2026!")
    assert (first.org_code, first.role_code) == (second.org_code, second.role_code)
    assert len(await _rows(settings, Org)) == 1
    assert len(await _rows(settings, Role)) == 1


async def test_an_existing_username_is_refused_and_left_alone(settings: CommonSettings) -> None:
    await create_admin(settings, "ops", "Fund-ops-2025!")
    with pytest.raises(AdminNotCreated, match="already exists"):
        await create_admin(settings, "ops", "Other-pass-2025!")
    [user] = await _rows(settings, AdminUser)
    assert verify_password(user.password_hash, "Fund-ops-2025!")


@pytest.mark.parametrize("password", ["short1!", "onlyletterslong", "1234567890123"])
async def test_weak_passwords_are_refused_before_anything_is_written(
    settings: CommonSettings, tmp_path: Path, password: str
) -> None:
    with pytest.raises(AdminNotCreated, match="password too weak"):
        await create_admin(settings, "ops", password)
    assert not (tmp_path / "db").exists()
