"""The WeChat API sandbox: Access tokens: classic and stable tokens, their lifetimes, accounts."""

from __future__ import annotations

import httpx
import pytest

from sandboxes.wechat_api import DEMO_APPID, DEMO_SECRET, WeChatApiState
from tests.sandboxes.support import FakeClock
from tests.sandboxes.wechat_api.support import (
    CUSTOM,
    classic_token,
    post,
    stable_token,
    text,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_classic_token_is_issued_and_accepted(client: httpx.AsyncClient) -> None:
    answer = await classic_token(client)

    assert answer["expires_in"] == 7200
    assert (await post(client, CUSTOM, answer["access_token"], text("o1")))["errcode"] == 0


@pytest.mark.parametrize(
    ("params", "errcode"),
    [
        ({"grant_type": "client_credential", "appid": "wxnope", "secret": DEMO_SECRET}, 40013),
        ({"grant_type": "client_credential", "appid": DEMO_APPID, "secret": "wrong"}, 40125),
        ({"grant_type": "password", "appid": DEMO_APPID, "secret": DEMO_SECRET}, 40002),
        ({"grant_type": "client_credential", "secret": DEMO_SECRET}, 41002),
    ],
)
async def test_token_request_is_checked(
    client: httpx.AsyncClient, params: dict[str, str], errcode: int
) -> None:
    answer = (await client.get("/cgi-bin/token", params=params)).json()

    assert answer["errcode"] == errcode
    assert "access_token" not in answer


async def test_new_classic_token_supersedes_the_old_after_the_overlap(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    old = (await classic_token(client))["access_token"]
    new = (await classic_token(client))["access_token"]
    assert old != new
    assert (await post(client, CUSTOM, old, text("o1")))["errcode"] == 0

    clock.advance(301)

    assert (await post(client, CUSTOM, old, text("o1")))["errcode"] == 40001
    assert (await post(client, CUSTOM, new, text("o1")))["errcode"] == 0


async def test_token_expires_after_its_lifetime(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    token = (await classic_token(client))["access_token"]
    clock.advance(7200)

    assert (await post(client, CUSTOM, token, text("o1")))["errcode"] == 42001


async def test_missing_and_unknown_tokens_are_refused(client: httpx.AsyncClient) -> None:
    missing = await client.post(CUSTOM, json=text("o1"))
    unknown = await post(client, CUSTOM, "not-a-token", text("o1"))

    assert missing.json()["errcode"] == 41001
    assert unknown["errcode"] == 40001


async def test_stable_token_is_shared_until_forced(
    client: httpx.AsyncClient, clock: FakeClock, state: WeChatApiState
) -> None:
    first = await stable_token(client)
    clock.advance(100)
    second = await stable_token(client)
    assert second["access_token"] == first["access_token"]
    assert second["expires_in"] == 7100

    forced = await stable_token(client, force=True)

    assert forced["access_token"] != first["access_token"]
    assert (await post(client, CUSTOM, first["access_token"], text("o1")))["errcode"] == 40001
    assert (await post(client, CUSTOM, forced["access_token"], text("o1")))["errcode"] == 0
    assert state.tokens_issued_json() == {DEMO_APPID: {"stable": 1, "stable_forced": 1}}


async def test_stable_token_rotates_near_expiry_keeping_the_old_one_valid(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    first = (await stable_token(client))["access_token"]
    clock.advance(7200 - 200)

    rotated = (await stable_token(client))["access_token"]

    assert rotated != first
    assert (await post(client, CUSTOM, first, text("o1")))["errcode"] == 0


async def test_classic_and_stable_tokens_are_independent(client: httpx.AsyncClient) -> None:
    stable = (await stable_token(client))["access_token"]
    await classic_token(client)
    await classic_token(client)

    assert (await stable_token(client))["access_token"] == stable


async def test_stable_token_wrong_secret(client: httpx.AsyncClient) -> None:
    body = {"grant_type": "client_credential", "appid": DEMO_APPID, "secret": "nope"}
    answer = (await client.post("/cgi-bin/stable_token", json=body)).json()

    assert answer["errcode"] == 40125


async def test_expire_tokens_control(client: httpx.AsyncClient, token: str) -> None:
    response = await client.post("/__sandbox__/expire_tokens")

    assert response.json() == {"ok": True, "expired": 1}
    assert (await post(client, CUSTOM, token, text("o1")))["errcode"] == 42001
    fresh = (await stable_token(client))["access_token"]
    assert fresh != token
    assert (await post(client, CUSTOM, fresh, text("o1")))["errcode"] == 0


async def test_accounts_can_be_added(client: httpx.AsyncClient) -> None:
    await client.post("/__sandbox__/accounts", json={"appid": "wxother", "secret": "s3"})
    params = {"grant_type": "client_credential", "appid": "wxother", "secret": "s3"}

    answer = (await client.get("/cgi-bin/token", params=params)).json()

    assert "access_token" in answer
