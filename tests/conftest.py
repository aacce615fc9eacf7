"""Shared fixtures: where the real RabbitMQ, PostgreSQL and Redis live, and how to reach them.

Tests that need a real server ask for it through :func:`require_server`. On a laptop without the
server the test is skipped; with ``CI=true`` it fails instead, because CI must exercise the real
parts (``.ci/run`` starts them when they are down).
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

from tests.support import in_ci

AMQP_URL = os.environ.get("WXHUB_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def _per_worker(url: str) -> str:
    """The database of ``url`` suffixed by the pytest-xdist worker (``wxhub_test_gw1``), so
    parallel workers never share it; their scratch databases are named after it too."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parts = urlsplit(url)
    return parts._replace(path=f"{parts.path}_{worker}").geturl()


POSTGRES_URL = _per_worker(
    os.environ.get(
        "WXHUB_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/wxhub_test"
    )
)
REDIS_URL = os.environ.get("WXHUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

_DEFAULT_PORTS = {"amqp": 5672, "postgresql+asyncpg": 5432, "postgresql": 5432, "redis": 6379}


def server_reachable(url: str, timeout: float = 1.0) -> bool:
    """Whether a TCP connection to the URL's host and port succeeds."""
    parts = urlsplit(url)
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def require_server(url: str, what: str) -> str:
    """Return ``url`` if its server answers; otherwise fail under CI, skip elsewhere."""
    if server_reachable(url):
        return url
    message = f"{what} is not reachable at {url}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: real servers are required)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def amqp_url() -> str:
    """URL of the real RabbitMQ broker."""
    return require_server(AMQP_URL, "RabbitMQ")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the real Redis server (a database reserved for tests)."""
    return require_server(REDIS_URL, "Redis")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of a PostgreSQL database reserved for tests (created if missing)."""
    require_server(POSTGRES_URL, "PostgreSQL")
    _ensure_postgres_database(POSTGRES_URL)
    return POSTGRES_URL


def _ensure_postgres_database(url: str) -> None:
    import asyncio

    import asyncpg

    parts = urlsplit(url.replace("+asyncpg", ""))
    name = parts.path.lstrip("/")
    admin_dsn = parts._replace(path="/postgres").geturl()

    async def create() -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())


@pytest.fixture(scope="session")
def haproxy() -> str:
    """The HAProxy binary of the local cluster (``make cluster`` installs it)."""
    from wxhub.cluster import ClusterError, find_haproxy

    try:
        return find_haproxy()
    except ClusterError as exc:
        if in_ci():
            pytest.fail(f"{exc} (CI=true: the local cluster's balancer is required)")
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def promtool() -> str:
    """Prometheus' promtool (``make promtool`` installs Debian's ``prometheus`` package)."""
    import shutil

    found = shutil.which("promtool")
    if found:
        return found
    message = "promtool is not installed (Debian: apt-get install prometheus, or make promtool)"
    if in_ci():
        pytest.fail(f"{message} (CI=true: the alert rules must be proven)")
    pytest.skip(message)
