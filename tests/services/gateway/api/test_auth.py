"""The signature check in front of every /api/v1 route."""

from __future__ import annotations

import time

import pytest

from services.gateway.api.auth import SIGNATURE_HEADER, SYSTEM_HEADER, TIMESTAMP_HEADER, sign
from tests.services.gateway.api.support import OTHER_SYSTEM, ApiStack, MakeApi, notification

UNKNOWN = "/api/v1/notifications/0123456789abcdef0123456789abcdef"


def test_signature_is_hex_hmac_sha256_over_timestamp_dot_body() -> None:
    # Known answer: HMAC-SHA256("demo-core-secret-not-real", '1764140400.{"a":1}').
    assert (
        sign("demo-core-secret-not-real", "1764140400", b'{"a":1}')
        == "11583e1f41e908f1d103573c83791a28336fcd8d929ebc3dafc6dcad4080e7f2"
    )


async def test_signed_request_passes_and_reaches_the_route(api: ApiStack) -> None:
    response = await api.client.get(UNKNOWN)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_missing_headers_are_401_even_with_a_broken_body(api: ApiStack) -> None:
    response = await api.client.http.post(
        "/api/v1/notifications", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "missing_credentials"
    assert "WXHUB-HMAC-SHA256" in response.headers["www-authenticate"]


async def test_wrong_signature_is_401(api: ApiStack) -> None:
    ts = str(int(time.time()))
    headers = {
        SYSTEM_HEADER: "demo-core",
        TIMESTAMP_HEADER: ts,
        SIGNATURE_HEADER: sign("demo-core-secret-not-real", ts, b"another body"),
    }
    response = await api.client.http.post(
        "/api/v1/notifications", json=notification(), headers=headers
    )
    assert response.status_code == 401
    assert response.json() == {
        "code": "invalid_signature",
        "message": "系统未知或签名错误",
        "errors": [],
    }


async def test_wrong_secret_and_unknown_system_are_the_same_401(api: ApiStack) -> None:
    wrong_secret = await api.client.as_system("demo-core", "guess").get(UNKNOWN)
    unknown_system = await api.client.as_system("nobody", "demo-core-secret-not-real").get(UNKNOWN)
    non_ascii = await api.client.http.get(
        UNKNOWN,
        headers=[
            (b"X-Wxhub-System", b"demo-core"),
            (b"X-Wxhub-Timestamp", str(int(time.time())).encode()),
            (b"X-Wxhub-Signature", "é".encode("latin-1") * 64),
        ],
    )
    for response in (wrong_secret, unknown_system, non_ascii):
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_signature"


# int(time.time()) drops up to a second, and the request takes time: stay clear of the edge.
@pytest.mark.parametrize(("skew", "status"), [(-310, 401), (310, 401), (-290, 404), (290, 404)])
async def test_timestamp_must_be_within_300_seconds(api: ApiStack, skew: int, status: int) -> None:
    response = await api.client.get(UNKNOWN, timestamp=int(time.time()) + skew)
    assert response.status_code == status
    if status == 401:
        assert response.json()["code"] == "stale_timestamp"


async def test_non_numeric_timestamp_is_401(api: ApiStack) -> None:
    headers = {SYSTEM_HEADER: "demo-core", TIMESTAMP_HEADER: "yesterday", SIGNATURE_HEADER: "00"}
    response = await api.client.http.get(UNKNOWN, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_timestamp"


async def test_oversize_body_is_413_before_parsing(make_api: MakeApi) -> None:
    api = await make_api(api_max_body_bytes=1000)
    response = await api.client.post("/api/v1/notifications", notification(data={"x": "y" * 2000}))
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


async def test_each_system_signs_with_its_own_secret(api: ApiStack) -> None:
    other = api.client.as_system(*OTHER_SYSTEM)
    assert (await other.get(UNKNOWN)).status_code == 404
    mixed = api.client.as_system(OTHER_SYSTEM[0], "demo-core-secret-not-real")
    assert (await mixed.get(UNKNOWN)).status_code == 401


async def test_config_is_cached_not_read_per_request(api: ApiStack) -> None:
    config = api.gateway.notifications.config
    loads = 0
    original = config._load

    async def counting_load():
        nonlocal loads
        loads += 1
        return await original()

    config._load = counting_load  # type: ignore[method-assign]
    config.invalidate()
    for _ in range(5):
        assert (await api.client.get(UNKNOWN)).status_code == 404
    assert loads == 1
