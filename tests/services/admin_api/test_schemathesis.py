"""Schemathesis over the admin OpenAPI against a running app (uvicorn on loopback, SQLite, the
WeChat sandbox): no generated request may produce a 5xx."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from libs.common.bus import MemoryBus, default_topology
from libs.common.db import make_engine, make_sessionmaker
from libs.common.secret_box import SecretBox
from sandboxes import wechat_api
from sandboxes.server import serve
from services.admin_api.app import create_app
from services.admin_api.security import TokenCodec
from services.admin_api.settings import AdminSettings
from services.admin_api.state import AdminState
from tests.services.admin_api.support import PASSWORDS, SECRET_KEY


class RunningAdmin(threading.Thread):
    """The admin app and the WeChat sandbox served from their own event loop in a thread."""

    def __init__(self, database: Path) -> None:
        super().__init__(daemon=True)
        self.database = database
        self.url = ""
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # surfaced by the fixture
            self.error = exc
            self.ready.set()

    async def _main(self) -> None:
        wechat = await serve(wechat_api.build_app(), "127.0.0.1", 0)
        url = f"sqlite+aiosqlite:///{self.database}"
        settings_ = AdminSettings(
            database_url=url,
            secret_key=SECRET_KEY,
            env="test",
            wechat_api_base=wechat.url,
        )
        engine = make_engine(url)
        bus = MemoryBus()
        await bus.connect()
        await bus.declare(default_topology())
        async with httpx.AsyncClient(timeout=10) as http:
            state = AdminState(
                settings=settings_,
                sessions=make_sessionmaker(engine),
                secret_box=SecretBox(SECRET_KEY),
                tokens=TokenCodec(SECRET_KEY, 3600),
                bus=bus,
                http=http,
            )
            server = await serve(create_app(state), "127.0.0.1", 0)
            self.url = server.url
            self.ready.set()
            while not self.stopping.is_set():
                await asyncio.sleep(0.05)
            await server.stop()
        await bus.close()
        await wechat.stop()
        await engine.dispose()


@pytest.fixture(scope="module")
def running_admin(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The app on a seeded copy of the test database, with an admin bearer token."""
    directory = tmp_path_factory.mktemp("schemathesis")
    shutil.copy(sqlite_template, directory / "admin.db")
    server = RunningAdmin(directory / "admin.db")
    server.start()
    server.ready.wait(30)
    if server.error:
        raise server.error
    login = httpx.post(
        f"{server.url}/api/v1/auth/login",
        data={"username": "admin", "password": PASSWORDS["admin"]},
    )
    server.headers = {"Authorization": f"Bearer {login.json()['access_token']}"}  # type: ignore[attr-defined]
    yield server
    server.stopping.set()
    server.join(10)


@pytest.fixture(scope="module")
def admin_schema(running_admin: Any) -> Any:
    """The served OpenAPI document; logout would end the session the run authenticates with."""
    schema = schemathesis.openapi.from_url(f"{running_admin.url}/api/v1/openapi.json")
    return schema.exclude(path_regex=r"/auth/(logout|password)$")


def test_no_server_errors(admin_schema: Any, running_admin: Any) -> None:
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    operations = 0
    for result in admin_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def run(case: Any) -> None:
            response = case.call(base_url=running_admin.url, headers=running_admin.headers)
            # Login/refresh with generated credentials are rightly 401; nothing else may be.
            if "/auth/" not in case.path or response.status_code != 401:
                statuses[response.status_code] += 1
            case.validate_response(response, checks=[not_a_server_error])

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    assert operations > 40
    assert failures == []
    # The run is authenticated: most operations are reached, not stopped at the door.
    assert sum(n for status, n in statuses.items() if status < 300) > 100, statuses
    assert statuses[401] == 0, statuses
