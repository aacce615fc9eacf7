"""The opt-in access log: one line per request, carrying a request id the response echoes."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from libs.common.observability.access_log import AccessLog
from libs.common.observability.logging import get_logger

log = get_logger("tests.access")


async def hello(request: Request) -> PlainTextResponse:
    log.info("inside_handler")
    return PlainTextResponse("hi", status_code=201)


async def boom(request: Request) -> PlainTextResponse:
    raise RuntimeError("broken")


def _client() -> httpx.AsyncClient:
    app = AccessLog(Starlette(routes=[Route("/hello", hello), Route("/boom", boom)]), "gateway")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://svc")


async def test_a_request_is_logged_once_with_the_callers_request_id() -> None:
    with capture_logs(processors=[merge_contextvars]) as logs:
        async with _client() as client:
            response = await client.get("/hello", headers={"X-Request-Id": "lb-7f3a.1"})
    assert response.headers["x-request-id"] == "lb-7f3a.1"
    inside = next(e for e in logs if e["event"] == "inside_handler")
    assert inside["request_id"] == "lb-7f3a.1"  # every line while serving carries it
    [access] = [e for e in logs if e["event"] == "http_request"]
    assert access["request_id"] == "lb-7f3a.1"
    assert (access["service"], access["method"], access["path"], access["status"]) == (
        "gateway",
        "GET",
        "/hello",
        201,
    )
    assert access["duration_ms"] >= 0


@pytest.mark.parametrize("given", [None, "bad id with spaces", "x" * 65])
async def test_a_missing_or_unusable_request_id_is_replaced(given: str | None) -> None:
    headers = {"X-Request-Id": given} if given else {}
    with capture_logs(processors=[merge_contextvars]) as logs:
        async with _client() as client:
            response = await client.get("/hello", headers=headers)
    request_id = response.headers["x-request-id"]
    assert request_id != given
    assert len(request_id) == 32
    assert [e["request_id"] for e in logs if e["event"] == "http_request"] == [request_id]


async def test_a_failing_request_is_logged_as_500() -> None:
    with capture_logs(processors=[merge_contextvars]) as logs:
        async with _client() as client:
            response = await client.get("/boom")
    assert response.status_code == 500
    [access] = [e for e in logs if e["event"] == "http_request"]
    assert access["status"] == 500
