from __future__ import annotations

import json

import httpx
import pytest

from libs.common.wechat.api.media import MediaApi
from libs.common.wechat.client import WeChatClient
from tests.libs.common.wechat.support import CountingTokens, FakeWeChatApi


@pytest.fixture
def media(wechat_api: FakeWeChatApi, http: httpx.AsyncClient) -> MediaApi:
    return MediaApi(WeChatClient(http, base_url=wechat_api.base_url, tokens=CountingTokens("t")))


def form_parts(body: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """Split a multipart body into {field name: (filename, content)}."""
    boundary = content_type.split("boundary=")[1].encode()
    parts: dict[str, tuple[str | None, bytes]] = {}
    for chunk in body.split(b"--" + boundary)[1:-1]:
        head, _, content = chunk.strip(b"\r\n").partition(b"\r\n\r\n")
        disposition = head.split(b"\r\n")[0].decode()
        name = disposition.split('name="')[1].split('"')[0]
        filename = (
            disposition.split('filename="')[1].split('"')[0] if "filename=" in disposition else None
        )
        parts[name] = (filename, content)
    return parts


async def test_upload_sends_field_media_and_type(
    media: MediaApi, wechat_api: FakeWeChatApi
) -> None:
    wechat_api.script(
        "/cgi-bin/media/upload",
        (200, {"type": "image", "media_id": "MID", "created_at": 1700000000}),
    )
    answer = await media.upload("image", "nav.jpg", b"\xff\xd8jpeg", "image/jpeg")
    assert answer["media_id"] == "MID"
    [request] = wechat_api.requests
    assert request.query == {"type": "image", "access_token": "t"}
    parts = form_parts(request.body, request.headers["content-type"])
    assert parts == {"media": ("nav.jpg", b"\xff\xd8jpeg")}


async def test_add_video_material_sends_description(
    media: MediaApi, wechat_api: FakeWeChatApi
) -> None:
    await media.add_material("video", "v.mp4", b"mp4", title="路演", introduction="intro")
    [request] = wechat_api.requests
    assert request.path == "/cgi-bin/material/add_material"
    parts = form_parts(request.body, request.headers["content-type"])
    assert parts["media"] == ("v.mp4", b"mp4")
    assert json.loads(parts["description"][1]) == {"title": "路演", "introduction": "intro"}


async def test_media_arguments_are_validated(media: MediaApi) -> None:
    with pytest.raises(ValueError, match="media type"):
        await media.upload("gif", "a.gif", b"")
    with pytest.raises(ValueError, match="title"):
        await media.add_material("video", "v.mp4", b"mp4")
