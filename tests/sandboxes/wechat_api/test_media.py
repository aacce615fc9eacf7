"""The WeChat API sandbox: Media uploads and permanent material."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest

from sandboxes.wechat_api import WeChatApiState

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_media_upload(client: httpx.AsyncClient, token: str, state: WeChatApiState) -> None:
    files = {"media": ("logo.jpg", b"\xff\xd8jpeg-bytes", "image/jpeg")}
    response = await client.post(
        "/cgi-bin/media/upload", params={"access_token": token, "type": "image"}, files=files
    )

    answer = response.json()
    assert answer["type"] == "image"
    assert state.media[answer["media_id"]] == {
        "type": "image",
        "filename": "logo.jpg",
        "size": 12,
        "sha256": hashlib.sha256(b"\xff\xd8jpeg-bytes").hexdigest(),
    }


async def test_a_thumbnail_comes_back_as_thumb_media_id(
    client: httpx.AsyncClient, token: str, state: WeChatApiState
) -> None:
    files = {"media": ("t.jpg", b"\xff\xd8thumb", "image/jpeg")}
    response = await client.post(
        "/cgi-bin/media/upload", params={"access_token": token, "type": "thumb"}, files=files
    )

    answer = response.json()
    assert set(answer) == {"type", "thumb_media_id", "created_at"}
    assert state.media[answer["thumb_media_id"]]["type"] == "thumb"


@pytest.mark.parametrize(
    ("media_type", "files", "errcode"),
    [
        ("image", {"other": ("a.jpg", b"x", "image/jpeg")}, 41005),
        ("pdf", {"media": ("a.pdf", b"x", "application/pdf")}, 40004),
        ("thumb", {"media": ("t.jpg", b"x" * (64 * 1024 + 1), "image/jpeg")}, 40012),
    ],
)
async def test_media_upload_is_validated(
    client: httpx.AsyncClient,
    token: str,
    media_type: str,
    files: dict[str, Any],
    errcode: int,
) -> None:
    response = await client.post(
        "/cgi-bin/media/upload", params={"access_token": token, "type": media_type}, files=files
    )

    assert response.json()["errcode"] == errcode


async def test_add_material_image_has_url(client: httpx.AsyncClient, token: str) -> None:
    response = await client.post(
        "/cgi-bin/material/add_material",
        params={"access_token": token, "type": "image"},
        files={"media": ("a.png", b"png", "image/png")},
    )

    assert set(response.json()) == {"media_id", "url"}
