"""API documentation pages that work without the internet (intranets, air-gapped hosts).

FastAPI's own ``/docs`` and ``/redoc`` load Swagger UI and ReDoc from a public CDN. Here the same
pages load the assets the ``fastapi-offline`` package ships, served by the app itself under
``/docs/assets``; the HTML names no other host.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.staticfiles import StaticFiles

ASSETS = "/docs/assets"


def _assets_dir() -> Path:
    return Path(str(files("fastapi_offline") / "static"))


def install_docs(app: FastAPI, *, openapi_aliases: tuple[str, ...] = ()) -> None:
    """Serve Swagger UI at ``/docs`` and ReDoc at ``/redoc`` from local assets.

    Build the app with ``docs_url=None, redoc_url=None``. ``openapi_aliases`` are further paths
    answering the OpenAPI document (e.g. the conventional ``/openapi.json``).
    """
    openapi_url = app.openapi_url or "/openapi.json"
    title = app.title

    async def swagger(_request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} · docs",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
        )

    async def redoc(_request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} · ReDoc",
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        )

    async def openapi(_request: Request) -> JSONResponse:
        return JSONResponse(app.openapi())

    app.add_route("/docs", swagger, include_in_schema=False)
    app.add_route("/redoc", redoc, include_in_schema=False)
    for alias in openapi_aliases:
        app.add_route(alias, openapi, include_in_schema=False)
    app.mount(ASSETS, StaticFiles(directory=_assets_dir()), name="docs-assets")
