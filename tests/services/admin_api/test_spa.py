"""The built admin app served by admin_api: history-mode fallback, cache headers, missing build."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from services.admin_api.app import create_app
from services.admin_api.spa import IMMUTABLE

INDEX = b"<!doctype html><div id=app></div>"


async def _client(dist: Path) -> httpx.AsyncClient:
    app = create_app(None, spa_dir=dist)  # type: ignore[arg-type]  # no API call is made
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://admin.test")


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """A build folder as vite leaves it."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_bytes(INDEX)
    (tmp_path / "assets" / "index-3f2a1b.js").write_text("console.log(1)")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    return tmp_path


@pytest.fixture
async def client(dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with await _client(dist) as c:
        yield c


async def test_root_and_app_routes_answer_index_uncached(client: httpx.AsyncClient) -> None:
    for path in ("/", "/menus", "/publications/12/outcome", "/login?next=/users"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.content == INDEX, path
        assert response.headers["cache-control"] == "no-cache", path


async def test_hashed_assets_are_cached_for_a_year(client: httpx.AsyncClient) -> None:
    response = await client.get("/assets/index-3f2a1b.js")
    assert response.status_code == 200
    assert response.text == "console.log(1)"
    assert response.headers["cache-control"] == IMMUTABLE == "public, max-age=31536000, immutable"


async def test_other_build_files_are_served_uncached(client: httpx.AsyncClient) -> None:
    response = await client.get("/favicon.svg")
    assert response.text == "<svg/>"
    assert response.headers["cache-control"] == "no-cache"


async def test_missing_asset_and_unknown_api_paths_are_json_404s(
    client: httpx.AsyncClient,
) -> None:
    for method, path in (
        ("GET", "/assets/index-000000.js"),
        ("GET", "/api/v1/no-such-thing"),
        ("POST", "/api/v1/no-such-thing"),
        ("POST", "/menus"),
    ):
        response = await client.request(method, path)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "not_found", (method, path)


async def test_a_wrong_method_on_an_api_route_stays_a_405(client: httpx.AsyncClient) -> None:
    # The app's pages are the router's fallback, not a catch-all route that would shadow it.
    response = await client.delete("/api/v1/orgs")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


async def test_files_outside_the_build_are_not_reachable(dist: Path, tmp_path: Path) -> None:
    (dist.parent / "secret.txt").write_text("nope")
    async with await _client(dist) as client:
        response = await client.get("/..%2Fsecret.txt")
    assert "nope" not in response.text


async def test_without_a_build_root_explains_how_to_build(tmp_path: Path) -> None:
    async with await _client(tmp_path / "missing") as client:
        response = await client.get("/")
        docs = await client.get("/api/v1/openapi.json")
    assert response.status_code == 503
    assert "make run" in response.text
    assert "not built" in response.text
    assert docs.status_code == 200
