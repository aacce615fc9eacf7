"""Serving the built admin app (``web/admin/dist``) next to the API.

- ``/assets/…`` are content-hashed by the build: cached for a year, immutable.
- Any other GET outside the API that no route matches answers a file of the build if one has that
  name, else ``index.html`` (history-mode routing: ``/menus`` is a page of the app, not a file),
  never cached so a new build reaches users on their next load. This is the router's fallback, not
  a catch-all route, so a wrong method on an API route stays a 405 and an unknown API path a 404.
- Without a build, ``/`` answers 503 with a page saying how to build it; the API keeps working.
"""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

# This source tree's build folder (services/admin_api/spa.py → repository root).
DEFAULT_DIST = Path(__file__).resolve().parents[2] / "web" / "admin" / "dist"
IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
# Paths that belong to the API side: unknown ones there are 404s, not pages of the app.
API_PREFIXES = ("api/", "docs", "metrics", "healthz", "readyz")

NOT_BUILT = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>wxhub admin · not built</title></head>
<body style="font-family:sans-serif;max-width:40rem;margin:3rem auto;line-height:1.6">
<h1>管理端尚未构建 · The admin app is not built</h1>
<p>运行 <code>make run</code>（会自动构建）或 <code>make web</code>，然后刷新本页。</p>
<p>Run <code>make run</code> (it builds the app) or <code>make web</code>, then reload this page.
It needs Node.js 20 and npm; the build lands in <code>web/admin/dist/</code>.</p>
<p>The API itself is up: <a href="/docs">/docs</a>.</p>
</body></html>
"""


def resolve_dist(setting: str) -> Path:
    """The build folder named by the ``spa_dir`` setting, or this source tree's."""
    return Path(setting).resolve() if setting else DEFAULT_DIST


def spa_routes(dist: Path) -> list[BaseRoute]:
    """The hashed assets of the app in ``dist``."""

    async def asset(request: Request) -> Response:
        file = _inside(dist / "assets", request.path_params["path"])
        if file is None:
            raise HTTPException(404, "no such asset")
        return FileResponse(file, headers={"Cache-Control": IMMUTABLE})

    return [Route("/assets/{path:path}", asset, methods=["GET", "HEAD"], include_in_schema=False)]


def spa_fallback(dist: Path, not_found: ASGIApp) -> ASGIApp:
    """The router's fallback: pages of the app for GETs outside the API, else ``not_found``."""

    async def fallback(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"].lstrip("/")
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await not_found(scope, receive, send)
            return
        if path.startswith(API_PREFIXES):
            await not_found(scope, receive, send)
            return
        index = dist / "index.html"
        if not index.is_file():
            response: Response = HTMLResponse(NOT_BUILT, 503, headers={"Cache-Control": NO_CACHE})
        else:
            file = _inside(dist, path) if path else None
            response = FileResponse(file or index, headers={"Cache-Control": NO_CACHE})
        await response(scope, receive, send)

    return fallback


def _inside(root: Path, relative: str) -> Path | None:
    """The regular file ``root/relative`` if it exists and does not escape ``root``."""
    try:
        file = (root / relative).resolve()
    except (OSError, ValueError):
        return None
    if not file.is_relative_to(root.resolve()) or not file.is_file():
        return None
    return file
