"""The ``wxhub`` command line as an operator runs it."""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from wxhub.smoke import Deadline, dev_stack

# Production refuses weak keys: a random one, as an operator would generate it.
PROD_SECRET_KEY = secrets.token_urlsafe(48)


def _wxhub(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WXHUB_")}
    return subprocess.run(
        [sys.executable, "-m", "wxhub.cli", *args],
        cwd=cwd,
        env={**clean, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_migrate_in_a_folder_without_var_creates_the_sqlite_database(tmp_path: Path) -> None:
    # The default database URL is ./var/wxhub.db; a fresh clone has no var/ folder.
    result = _wxhub("migrate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "wxhub.db").is_file()


def test_seed_refuses_demo_data_in_production(tmp_path: Path) -> None:
    env = {
        "WXHUB_ENV": "prod",
        "WXHUB_SECRET_KEY": PROD_SECRET_KEY,
        "WXHUB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/prod.db",
    }
    result = _wxhub("seed", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "demo-core" in result.stderr
    assert "wxhub create-admin" in result.stderr
    assert not (tmp_path / "prod.db").exists()  # refused before touching the database


def test_seed_loads_the_demo_data_outside_production(tmp_path: Path) -> None:
    env = {"WXHUB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/dev.db"}
    assert _wxhub("seed", cwd=tmp_path, env=env).returncode == 0
    users = sqlite3.connect(tmp_path / "dev.db").execute("SELECT username FROM admin_users")
    assert {row[0] for row in users} >= {"admin"}


def test_create_admin_from_the_environment_then_from_stdin(tmp_path: Path) -> None:
    db = tmp_path / "prod.db"
    env = {
        "WXHUB_ENV": "prod",
        "WXHUB_SECRET_KEY": PROD_SECRET_KEY,
        "WXHUB_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
    }
    automated = {**env, "WXHUB_ADMIN_USERNAME": "ops", "WXHUB_ADMIN_PASSWORD": "Fund-ops-2025!"}
    first = _wxhub("create-admin", cwd=tmp_path, env=automated)
    assert first.returncode == 0, first.stderr
    assert "created 'ops'" in first.stdout
    piped = _wxhub(
        "create-admin",
        "--username",
        "ops2",
        "--password-stdin",
        cwd=tmp_path,
        env=env,
        stdin="Fund-ops-2026!\n",
    )
    assert piped.returncode == 0, piped.stderr
    again = _wxhub("create-admin", cwd=tmp_path, env=automated)
    assert again.returncode == 2
    assert "already exists" in again.stderr
    users = sqlite3.connect(db).execute("SELECT username FROM admin_users ORDER BY id")
    assert [row[0] for row in users] == ["ops", "ops2"]


def test_create_admin_without_a_terminal_says_what_it_needs(tmp_path: Path) -> None:
    env = {"WXHUB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"}
    result = _wxhub("create-admin", "--username", "ops", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "WXHUB_ADMIN_PASSWORD or --password-stdin" in result.stderr


@pytest.mark.e2e
def test_the_created_admin_logs_in_and_manages_users(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path}/var/wxhub.db"  # where dev_stack puts its database
    env = {
        "WXHUB_DATABASE_URL": db,
        "WXHUB_ADMIN_USERNAME": "ops",
        "WXHUB_ADMIN_PASSWORD": "Fund-ops-2025!",
    }
    assert _wxhub("create-admin", cwd=tmp_path, env=env).returncode == 0
    with dev_stack(tmp_path) as stack:
        stack.wait_ready(Deadline(90))
        login = httpx.post(
            f"{stack.url('admin_port')}/api/v1/auth/login",
            data={"username": "ops", "password": "Fund-ops-2025!"},
        )
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        users = httpx.get(
            f"{stack.url('admin_port')}/api/v1/users",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert users.status_code == 200, users.text
        assert "ops" in users.text
