"""Every service answers errors the same way: ``{"code", "message", "errors"}``, in the request's
language (zh-CN by default, en on request), for unknown routes, wrong methods, missing or bad
credentials, refused permissions, conflicts, invalid fields and unreadable bodies."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from libs.common.bus import MemoryBus, default_topology
from libs.common.callback_ledger import MemoryCallbackLedger
from libs.common.resources import Resources, open_resources
from libs.common.serving import Service
from libs.common.settings import CommonSettings
from sandboxes.wechat_push import CallbackPusher
from services.gateway.api.auth import signed_headers
from wxhub.demo.account import DEMO
from wxhub.demo.outbound import DEMO_SYSTEM
from wxhub.dev import seed
from wxhub.services import catalogue

CJK = re.compile(r"[\u4e00-\u9fff]")
LANGUAGES = {"zh-CN": {}, "en": {"Accept-Language": "en-US,en;q=0.9"}}
NOTIFICATIONS = "/api/v1/notifications"


@dataclass
class Platform:
    """Every service built on one SQLite file and the in-process bus, started."""

    services: dict[str, Service]
    logins: dict[str, str]

    def client(self, name: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.services[name].app, raise_app_exceptions=False)
        return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[Platform]:
    settings = CommonSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/wxhub.db")
    logins = dict(await seed(settings))
    bus = MemoryBus()
    await bus.connect()
    await bus.declare(default_topology())
    resources: Resources = await open_resources(settings, bus=bus, ledger=MemoryCallbackLedger())
    services = {
        name: entry.build(entry.settings(database_url=settings.database_url), resources)
        for name, entry in catalogue().items()
    }
    for service in services.values():
        await service.start()
    try:
        yield Platform(services, logins)
    finally:
        for service in reversed(services.values()):
            await service.stop()
        await resources.close()
        await bus.close()


def assert_error(
    response: httpx.Response, status: int, code: str, language: str, *, loc: list[Any] | None = None
) -> dict[str, Any]:
    """The common shape, the status, the code and the language of the message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert {"code", "message", "errors"} <= body.keys(), body
    assert body["code"] == code, body
    assert isinstance(body["message"], str)
    assert body["message"]
    assert bool(CJK.search(body["message"])) == (language == "zh-CN"), body["message"]
    assert isinstance(body["errors"], list)
    for error in body["errors"]:
        assert set(error) == {"loc", "message", "type"}, error
        assert isinstance(error["loc"], list)
        assert error["type"]
    if loc is not None:
        assert loc in [e["loc"] for e in body["errors"]], body
    return dict(body)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("service", ["engine", "dispatcher", "stats", "gateway", "admin_api"])
async def test_unknown_routes_and_wrong_methods(
    platform: Platform, service: str, language: str
) -> None:
    headers = LANGUAGES[language]
    # The admin API answers other unknown GETs with its app's pages (history-mode routing).
    unknown = "/api/v1/no/such/route" if service == "admin_api" else "/no/such/route"
    async with platform.client(service) as client:
        assert_error(await client.get(unknown, headers=headers), 404, "not_found", language)
        assert_error(
            await client.post("/no/such/route", headers=headers), 404, "not_found", language
        )
        assert_error(
            await client.post("/healthz", headers=headers), 405, "method_not_allowed", language
        )


@pytest.mark.parametrize("language", LANGUAGES)
async def test_wechat_callback_errors(platform: Platform, language: str) -> None:
    headers = LANGUAGES[language]
    pusher = CallbackPusher(DEMO.token, DEMO.appid, "gh_errors", DEMO.encoding_aes_key)
    params, body = pusher.sign(pusher.text("oUser", "hello", msg_id=1), encrypt=False)
    async with platform.client("gateway") as client:
        url = f"/wechat/{DEMO.code}"
        assert_error(
            await client.post("/wechat/nobody", params=params, content=body, headers=headers),
            404,
            "unknown_account",
            language,
        )
        assert_error(
            await client.put(url, params=params, content=body, headers=headers),
            405,
            "method_not_allowed",
            language,
        )
        bad = {**params, "signature": "0" * 40}
        assert_error(
            await client.post(url, params=bad, content=body, headers=headers),
            403,
            "bad_signature",
            language,
        )
        assert_error(
            await client.post(url, params=params, content=b"<xml><oops", headers=headers),
            400,
            "malformed_xml",
            language,
        )


async def _signed(
    client: httpx.AsyncClient, method: str, url: str, headers: dict[str, str], **kwargs: Any
) -> httpx.Response:
    request = client.build_request(method, url, headers=headers, **kwargs)
    request.headers.update(signed_headers(DEMO_SYSTEM.code, DEMO_SYSTEM.secret, request.read()))
    return await client.send(request)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_notification_api_errors(platform: Platform, language: str) -> None:
    headers = LANGUAGES[language]
    json_type = {**headers, "content-type": "application/json"}
    valid = {
        "account": DEMO.code,
        "event_type": "balance_change",
        "to": {"customer_no": "C00000001"},
        "data": {"account_tail": "8899", "time": "2026-11-26 09:30", "amount": "-1.00",
                 "balance": "2.00"},
        "idempotency_key": f"errors-{language}",
    }  # fmt: skip
    async with platform.client("gateway") as client:
        assert_error(
            await client.post(NOTIFICATIONS, json=valid, headers=headers),
            401,
            "missing_credentials",
            language,
        )
        assert_error(
            await _signed(client, "GET", NOTIFICATIONS, headers),
            405,
            "method_not_allowed",
            language,
        )
        assert_error(
            await _signed(client, "GET", f"{NOTIFICATIONS}/nope", headers),
            404,
            "not_found",
            language,
        )
        assert_error(
            await _signed(client, "POST", NOTIFICATIONS, headers, json={**valid, "deadline_s": 0}),
            422,
            "validation_error",
            language,
            loc=["deadline_s"],
        )
        for unreadable in (b"{oops", b'{"account": "\xff\xfe"}'):
            assert_error(
                await _signed(client, "POST", NOTIFICATIONS, json_type, content=unreadable),
                422,
                "malformed_body",
                language,
            )
        first = await _signed(client, "POST", NOTIFICATIONS, headers, json=valid)
        assert first.status_code == 202, first.text
        fund = {"confirm_date": "2026-11-26", "fund_code": "000001", "fund_name": "稳健债券",
                "shares": "100.00", "amount": "1000.00"}  # fmt: skip
        clash = {**valid, "event_type": "fund_confirm", "data": fund}
        assert_error(
            await _signed(client, "POST", NOTIFICATIONS, headers, json=clash),
            409,
            "idempotency_conflict",
            language,
        )


async def _token(client: httpx.AsyncClient, platform: Platform, user: str) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/login", data={"username": user, "password": platform.logins[user]}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_admin_api_errors(platform: Platform, language: str) -> None:
    headers = LANGUAGES[language]
    async with platform.client("admin_api") as client:
        admin = {**headers, **await _token(client, platform, "admin")}
        editor = {**headers, **await _token(client, platform, "sh_editor")}
        orgs = "/api/v1/orgs"
        listed = (await client.get(orgs, headers=admin)).json()["items"]
        hq = next(o for o in listed if o["code"] == "HQ")
        new_org = {"code": "SH", "name": "上海", "parent_id": hq["id"]}
        assert_error(await client.get(orgs, headers=headers), 401, "not_authenticated", language)
        assert_error(
            await client.get(orgs, headers={**headers, "Authorization": "Bearer x.y.z"}),
            401,
            "not_authenticated",
            language,
        )
        assert_error(
            await client.post(orgs, json=new_org, headers=editor),
            403,
            "permission_denied",
            language,
        )
        assert_error(
            await client.post(orgs, json=new_org, headers=admin), 409, "conflict", language
        )
        assert_error(
            await client.post(orgs, json={**new_org, "code": "a b"}, headers=admin),
            422,
            "validation_error",
            language,
            loc=["code"],
        )
        assert_error(await client.get(f"{orgs}/999999", headers=admin), 404, "not_found", language)
        assert_error(await client.delete(orgs, headers=admin), 405, "method_not_allowed", language)
        for unreadable in (b"{oops", b'{"code": "\xff"}'):
            assert_error(
                await client.post(
                    orgs,
                    content=unreadable,
                    headers={**admin, "content-type": "application/json"},
                ),
                422,
                "malformed_body",
                language,
            )
