"""The container health check passes while a service answers ``/healthz`` and fails otherwise."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from libs.common.bus import MemoryBus, default_topology
from libs.common.callback_ledger import MemoryCallbackLedger
from libs.common.resources import open_resources
from sandboxes.server import serve
from services.stats.app import build
from services.stats.settings import StatsSettings
from wxhub.processes import REPO_ROOT, free_port


def _healthcheck(env: dict[str, str]) -> int:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WXHUB_")}
    return subprocess.run(
        [sys.executable, "-m", "wxhub.healthcheck"],
        cwd=REPO_ROOT,
        env={**clean, **env},
        capture_output=True,
        timeout=30,
    ).returncode


def _ports_elsewhere() -> dict[str, str]:
    # Nothing listens on these: only the port under test can answer.
    names = ("GATEWAY", "ADMIN", "STATS", "ENGINE", "DISPATCHER")
    return {f"WXHUB_{name}_PORT": str(free_port()) for name in names}


async def test_passes_while_a_service_answers_and_fails_when_none_does(tmp_path: Path) -> None:
    ports = _ports_elsewhere()
    assert _healthcheck(ports) == 1
    settings = StatsSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/h.db")
    bus = MemoryBus()
    await bus.connect()
    await bus.declare(default_topology())
    resources = await open_resources(settings, bus=bus, ledger=MemoryCallbackLedger())
    service = build(settings, resources)
    server = await serve(service.app, "127.0.0.1", 0)
    try:
        port = server.url.rsplit(":", 1)[1]
        # In a thread: the server answers from this test's event loop.
        assert await asyncio.to_thread(_healthcheck, {**ports, "WXHUB_STATS_PORT": port}) == 0
        url = f"http://127.0.0.1:{port}/healthz"
        explicit = {**ports, "WXHUB_HEALTHCHECK_URL": url}
        assert await asyncio.to_thread(_healthcheck, explicit) == 0
        wrong = {**ports, "WXHUB_HEALTHCHECK_URL": url + "/nope"}
        assert await asyncio.to_thread(_healthcheck, wrong) == 1
    finally:
        await server.stop()
        await resources.close()
        await bus.close()


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_a_wildcard_listen_address_is_checked_on_the_loopback(host: str) -> None:
    from libs.common.settings import CommonSettings
    from wxhub.healthcheck import candidate_urls

    urls = candidate_urls(CommonSettings(host=host))
    assert urls[0] == "http://127.0.0.1:8080/healthz"
