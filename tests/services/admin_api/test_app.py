"""The service shape: build() on shared resources, probes, OpenAPI docs, the scheduler loop."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
from sqlalchemy import select

from libs.common.db.models import Account, AdminUser, Publication
from libs.common.periodic import Periodic
from libs.common.resources import open_resources
from services.admin_api.app import build
from services.admin_api.publishing.scheduler import run_due
from services.admin_api.settings import AdminSettings
from tests.services.admin_api.support import SECRET_KEY, AdminStack


async def test_build_serves_probes_and_bilingual_openapi(
    sqlite_template: Path, tmp_path: Path
) -> None:
    shutil.copy(sqlite_template, tmp_path / "a.db")
    settings = AdminSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'a.db'}",
        secret_key=SECRET_KEY,
        heartbeat_interval_s=0.05,
        scheduler_interval_s=0.05,
    )
    resources = await open_resources(settings)
    service = build(settings, resources)
    assert (service.name, service.port) == ("admin_api", 8081)
    await service.start()
    try:
        transport = httpx.ASGITransport(app=service.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/healthz")).json()["status"] == "ok"
            ready = await client.get("/readyz")
            assert ready.status_code == 200
            assert ready.json()["checks"] == {"db": True, "bus": True}
            spec = (await client.get("/api/v1/openapi.json")).json()
    finally:
        await service.stop()
        await resources.close()
    props = spec["components"]["schemas"]["AccountCreate"]["properties"]
    assert props["name"]["description"] == "名称 · name"
    assert (
        spec["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"][
            "tokenUrl"
        ]
        == "/api/v1/auth/login"
    )
    # Secrets are only ever described as set/not set + last 4.
    secret = spec["components"]["schemas"]["AccountRead"]["properties"]["app_secret"]
    assert "SecretStatus" in str(secret)
    assert set(spec["components"]["schemas"]["SecretStatus"]["properties"]) == {"set", "last4"}


async def test_scheduler_sends_due_publications(stack: AdminStack) -> None:
    async with stack.sessions.begin() as session:
        account = await session.scalar(select(Account).where(Account.code == "demo"))
        author = await session.scalar(select(AdminUser).where(AdminUser.username == "sh_editor"))
        assert account is not None
        assert author is not None
        publication = Publication(
            org_id=author.org_id,
            account_id=account.id,
            author_id=author.id,
            kind="single",
            text="hi",
            audience={"openid": "oDue"},
            status="scheduled",
        )
        session.add(publication)
    scheduler = Periodic(lambda: run_due(stack.state), interval_s=0.05, name="test scheduler")
    await scheduler.start()
    for _ in range(100):
        async with stack.sessions() as session:
            row = await session.get(Publication, publication.id)
            if row is not None and row.status == "done":
                break
        await asyncio.sleep(0.02)
    await scheduler.stop()
    assert row is not None
    assert (row.status, row.sent_count) == ("done", 1)
